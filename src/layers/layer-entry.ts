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
   * Set for a class TF.js has no layer for (Keras' Subtract, KerasNLP's transformer layers): whose it is, said in the
   * warning saving such a model gives once per process (backprop and Keras load the file; TF.js cannot).
   */
  notInTfjs?: string;
}
