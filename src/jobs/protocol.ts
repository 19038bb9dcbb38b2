/** Messages between the jobs API (main thread) and a training worker. */
import type { DType } from '../backend/ops';

/** A model described as data, so it can cross into a worker: layers, compile settings, seed. */
export interface ModelSpec {
  layers: {
    type?: 'dense' | 'dropout' | 'activation';
    units?: number;
    activation?: string;
    inputShape?: number[];
    rate?: number;
  }[];
  compile: { optimizer: string | { name: string; learningRate?: number }; loss: string; metrics?: string[] };
  seed?: number;
  dtype?: DType;
}

export interface SharedMatrix {
  buffer: SharedArrayBuffer | ArrayBuffer;
  byteOffset: number;
  length: number;
  kind: 'float32' | 'float64' | 'int32';
  shape: [number, number];
}

export interface StartMessage {
  type: 'start';
  id: string;
  model: ModelSpec | { path: string };
  x: SharedMatrix;
  y: SharedMatrix;
  fit: { epochs?: number; batchSize?: number; shuffle?: boolean; validationSplit?: number };
  checkpointDir?: string;
  /** Int32[2]: [0] set to 1 (Atomics) to cancel, read by the worker after every batch; [1] batches done. */
  cancelFlag: SharedArrayBuffer;
  backend?: 'native' | 'js' | 'auto';
  blasThreads: number;
  /** Minimum ms between batch progress messages. */
  progressEveryMs: number;
}

export interface ProgressEvent {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  metrics: Record<string, number>;
  samplesPerSecond: number;
  etaSeconds: number;
  kind: 'batch' | 'epoch';
}

export type WorkerMessage =
  | { type: 'progress'; event: ProgressEvent }
  | { type: 'checkpoint'; epoch: number; dir: string }
  | {
      type: 'done';
      cancelled: boolean;
      batchesDone: number;
      history: Record<string, number[]>;
      epochs: number[];
      weights: { data: ArrayBuffer; kind: 'float32' | 'float64' }[];
      modelJson: unknown;
    }
  | { type: 'error'; message: string };
