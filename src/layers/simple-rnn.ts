/**
 * SimpleRNN (TF.js Layers): `h_t = act(x_t·W + b + h_{t-1}·U)`. The whole sequence runs in one backend op
 * (see recurrent.ts).
 */
import type { Backend, FloatArray } from '../backend/ops';
import type { ConfigReader } from './config-reader';
import type { LayerEntry } from './layer-entry';
import { Recurrent, readRecurrentArgs, type RecurrentArgs, type Workspace } from './recurrent';

export type SimpleRnnArgs = RecurrentArgs;

export class SimpleRNN extends Recurrent {
  readonly className: string = 'SimpleRNN';
  protected readonly blocks = 1;

  constructor(args: SimpleRnnArgs) {
    super(args, 'layers.simpleRNN()');
  }

  protected hasAsync(b: Backend): boolean {
    return !!b.simpleRnnForwardAsync && !!b.simpleRnnBackwardAsync;
  }

  protected runForward(b: Backend, x: FloatArray, mask: FloatArray | null, ws: Workspace, rows: number, off: boolean) {
    const args = [
      x,
      this.weight('kernel').value,
      this.weight('recurrent_kernel').value,
      this.useBias ? this.weight('bias').value : null,
      mask,
      ws.xT,
      ws.gates,
      ws.hs,
      ws.y,
      rows,
      this.steps,
      this.features,
      this.units,
      this.actCode,
      this.goBackwards,
    ] as const;
    if (off) return b.simpleRnnForwardAsync!(...args);
    b.simpleRnnForward(...args);
    return undefined;
  }

  protected runBackward(
    b: Backend,
    dy: FloatArray,
    mask: FloatArray | null,
    ws: Workspace,
    rows: number,
    needDx: boolean,
    off: boolean,
  ) {
    const kernel = this.weight('kernel'),
      recurrent = this.weight('recurrent_kernel');
    const args = [
      ws.xT,
      kernel.value,
      recurrent.value,
      mask,
      ws.gates,
      ws.hs,
      ws.y ? dy : null,
      ws.y ? null : dy,
      kernel.grad,
      recurrent.grad,
      this.useBias ? this.weight('bias').grad : null,
      needDx ? ws.dx : null,
      ws.dh,
      rows,
      this.steps,
      this.features,
      this.units,
      this.actCode,
      this.goBackwards,
    ] as const;
    if (off) return b.simpleRnnBackwardAsync!(...args);
    b.simpleRnnBackward(...args);
    return undefined;
  }

  override getConfig(): Record<string, unknown> {
    return { ...this.configHead(), ...this.configInitializers(), ...this.configRegularizers(), ...this.configTail() };
  }
}

export const simpleRnnEntry: LayerEntry = {
  className: 'SimpleRNN',
  fromConfig: (c: ConfigReader) => new SimpleRNN(readRecurrentArgs(c)),
};
