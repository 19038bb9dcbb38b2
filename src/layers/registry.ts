/**
 * The layer registry: the one list of layer classes backprop has, by TF.js `class_name`. Save, load, job
 * specs, gradcheck's float64 copy and the CLI all go through it; adding a layer adds one line here.
 */
import { ConfigReader, type Fail } from './config-reader';
import { activationEntry, eluEntry, leakyReluEntry, softmaxEntry } from './activation';
import { denseEntry } from './dense';
import { dropoutEntry } from './dropout';
import { flattenEntry } from './flatten';
import type { Layer } from './layer';
import type { LayerEntry, LayerJson } from './layer-entry';
import { permuteEntry } from './permute';
import { reshapeEntry } from './reshape';
// sequence models
import { bidirectionalEntry } from './bidirectional';
import { embeddingEntry } from './embedding';
import { globalAveragePooling1dEntry } from './global-average-pooling1d';
import { gruEntry } from './gru';
import { layerNormalizationEntry } from './layer-normalization';
import { lstmEntry } from './lstm';
import { maskingEntry } from './masking';
import { simpleRnnEntry } from './simple-rnn';
import { timeDistributedEntry } from './time-distributed';
// convolution and pooling
import { conv2dEntry } from './conv2d';
import { conv1dEntry } from './conv1d';
import { depthwiseConv2dEntry } from './depthwise-conv2d';
import { averagePooling1dEntry, averagePooling2dEntry, maxPooling1dEntry, maxPooling2dEntry } from './pooling';
import { globalAveragePooling2dEntry, globalMaxPooling1dEntry, globalMaxPooling2dEntry } from './global-pooling';
import { zeroPadding2dEntry } from './zero-padding2d';
import { batchNormalizationEntry } from './batch-normalization';
import { spatialDropout1dEntry, spatialDropout2dEntry } from './spatial-dropout';
// graph-model layers
import { reluEntry } from './relu';
import { conv2dTransposeEntry } from './conv2d-transpose';
import { upSampling2dEntry } from './up-sampling2d';
import { separableConv2dEntry } from './separable-conv2d';
import { cropping2dEntry } from './cropping2d';
import { repeatVectorEntry } from './repeat-vector';
import { preluEntry } from './prelu';
import { alphaDropoutEntry, gaussianDropoutEntry, gaussianNoiseEntry } from './noise';
import { rescalingEntry } from './rescaling';
// merging several inputs
import { addEntry, averageEntry, maximumEntry, minimumEntry, multiplyEntry, subtractEntry } from './elementwise-merge';
import { concatenateEntry } from './concatenate';
import { dotEntry } from './dot';
// attention
import { positionEmbeddingEntry } from './position-embedding';
import { tokenAndPositionEmbeddingEntry } from './token-and-position-embedding';
import { transformerDecoderEntry } from './transformer-decoder';
import { transformerEncoderEntry } from './transformer-encoder';
import { quoteValue } from '../quote';

const ENTRIES: LayerEntry[] = [
  denseEntry,
  activationEntry,
  leakyReluEntry,
  eluEntry,
  softmaxEntry,
  dropoutEntry,
  flattenEntry,
  reshapeEntry,
  permuteEntry,
  // sequence models
  embeddingEntry,
  simpleRnnEntry,
  lstmEntry,
  gruEntry,
  bidirectionalEntry,
  timeDistributedEntry({ fromConfig: layerFromConfig, toFile: layerToFile }),
  layerNormalizationEntry,
  globalAveragePooling1dEntry,
  maskingEntry,
  // convolution and pooling
  conv2dEntry,
  conv1dEntry,
  depthwiseConv2dEntry,
  maxPooling2dEntry,
  averagePooling2dEntry,
  maxPooling1dEntry,
  averagePooling1dEntry,
  globalAveragePooling2dEntry,
  globalMaxPooling2dEntry,
  globalMaxPooling1dEntry,
  zeroPadding2dEntry,
  batchNormalizationEntry,
  spatialDropout1dEntry,
  spatialDropout2dEntry,
  // graph-model layers
  reluEntry,
  conv2dTransposeEntry,
  upSampling2dEntry,
  separableConv2dEntry,
  cropping2dEntry,
  repeatVectorEntry,
  preluEntry,
  gaussianNoiseEntry,
  gaussianDropoutEntry,
  alphaDropoutEntry,
  rescalingEntry,
  // merging several inputs
  addEntry,
  subtractEntry,
  multiplyEntry,
  averageEntry,
  maximumEntry,
  minimumEntry,
  concatenateEntry,
  dotEntry,
  // attention
  positionEmbeddingEntry,
  tokenAndPositionEmbeddingEntry,
  transformerEncoderEntry,
  transformerDecoderEntry,
];

const BY_CLASS = new Map(ENTRIES.map((e) => [e.className, e]));

/** The TF.js class names backprop reads and writes, plus InputLayer (read only: it only carries the input shape). */
export const SUPPORTED_LAYERS: readonly string[] = [...ENTRIES.map((e) => e.className), 'InputLayer'];

/** The registry entry for `className`, or an error naming what is supported. */
export function layerEntry(className: string, fail: Fail = defaultFail, where = 'layer'): LayerEntry {
  const entry = typeof className === 'string' ? BY_CLASS.get(className) : undefined;
  if (!entry) {
    return fail(where, `unsupported layer ${quoteValue(className)}; supported: ${SUPPORTED_LAYERS.join(', ')}`);
  }
  return entry;
}

/**
 * Builds a layer from its TF.js class name and camelCase config, checking every value.
 * @example layerFromConfig('Dense', { units: 10, activation: 'softmax' })
 */
export function layerFromConfig(
  className: string,
  config: Record<string, unknown>,
  where = `layer ${quoteValue(className)}`,
  fail: Fail = defaultFail,
): Layer {
  const entry = layerEntry(className, fail, where);
  return buildLayer(fail, where, (failWith) => entry.fromConfig(new ConfigReader(config, where, failWith)));
}

/**
 * Runs `make` (a layer's fromConfig) so that every error names `where`: the reader's own failures already do;
 * a layer constructor's own check (Reshape's "at most one -1") throws a plain Error, which is passed to
 * `fail` with `where` in front (for a file, its name).
 */
export function buildLayer(fail: Fail, where: string, make: (failWith: Fail) => Layer): Layer {
  let failed = false;
  const failWith: Fail = (w, m) => {
    failed = true;
    return fail(w, m);
  };
  try {
    return make(failWith);
  } catch (e) {
    if (failed) throw e;
    return fail(where, (e as Error).message);
  }
}

/** How a layer is written into a TF.js topology (usually its own class and getConfig()). */
export function layerToFile(layer: Layer): LayerJson[] {
  const entry = layerEntry(layer.className);
  return entry.toFile ? entry.toFile(layer) : [{ className: layer.className, config: layer.getConfig() }];
}

/** A fresh, unbuilt layer with the same config (same class, same settings, same name). */
export function cloneLayer(layer: Layer): Layer {
  return layerFromConfig(layer.className, layer.getConfig());
}

function defaultFail(where: string, message: string): never {
  throw new Error(`${where}: ${message}`);
}
