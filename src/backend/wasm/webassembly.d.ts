// The part of the WebAssembly JS API the wasm backend uses. TypeScript declares it only in its DOM library, which
// this project does not load (lib ES2022 + @types/node 20, which does not declare it).
declare namespace WebAssembly {
  interface ModuleDescriptor {
    name: string;
    kind: 'function' | 'table' | 'memory' | 'global';
  }
  interface ImportDescriptor extends ModuleDescriptor {
    module: string;
  }
  class Module {
    constructor(bytes: ArrayBufferView | ArrayBuffer);
    static imports(module: Module): ImportDescriptor[];
    static exports(module: Module): ModuleDescriptor[];
  }
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
    grow(delta: number): number;
  }
  class Global {
    value: number;
  }
  type Exports = Record<string, unknown>;
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Exports;
  }
  class RuntimeError extends Error {}
}
