/** What the layer registry knows of one layer class (see registry.ts). */
import type { ConfigReader } from './config-reader';
import type { Layer } from './layer';

/** A layer as written into a TF.js topology: class name and camelCase config. */
export interface LayerJson {
  className: string;
  config: Record<string, unknown>;
}

export interface LayerEntry {
  /** TF.js `class_name` ('Dense'). */
  className: string;
  /** Builds the layer from a camelCase config, every value checked by the reader. */
  fromConfig(c: ConfigReader): Layer;
  /**
   * How the layer appears in a TF.js file when that is not simply its own class and getConfig(): e.g. a
   * Dense with leakyRelu (an activation TF.js does not name) is written as Dense(linear) + LeakyReLU.
   */
  toFile?(layer: Layer): LayerJson[];
  /**
   * False for layers TF.js has no class for (KerasNLP's transformer layers): backprop saves and loads them in the
   * TF.js Layers format, but TF.js cannot load such a file, and saving one warns so once per process.
   */
  tfjsLoads?: false;
}
