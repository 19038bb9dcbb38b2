/**
 * The ONNX export of each layer class, by TF.js class name (as src/layers/registry.ts lists the layers).
 * Adding a layer's export adds a file in layers/ and one line here; a layer without one fails the export
 * with an error naming it.
 */
import type { LayerExport } from './layer-export';
import { activationExport } from './layers/activation';
import { denseExport } from './layers/dense';
import { dropoutExport } from './layers/dropout';
import { flattenExport, permuteExport, reshapeExport } from './layers/reshaping';
// convolution and pooling
import { batchNormalizationExport } from './layers/batch-normalization';
import { conv1dExport, conv2dExport, depthwiseConv2dExport } from './layers/convolution';
import {
  globalAveragePooling2dExport,
  globalMaxPooling1dExport,
  globalMaxPooling2dExport,
} from './layers/global-pooling';
import {
  averagePooling1dExport,
  averagePooling2dExport,
  maxPooling1dExport,
  maxPooling2dExport,
} from './layers/pooling';
import { spatialDropout1dExport, spatialDropout2dExport } from './layers/spatial-dropout';
import { zeroPadding2dExport } from './layers/zero-padding';
// sequence models
import { bidirectionalExport } from './layers/bidirectional';
import { embeddingExport } from './layers/embedding';
import { globalAveragePooling1dExport } from './layers/global-average-pooling1d';
import { layerNormalizationExport } from './layers/layer-normalization';
import { maskingExport } from './layers/masking';
import { gruExport, lstmExport, simpleRnnExport } from './layers/recurrent';
import { timeDistributedExport } from './layers/time-distributed';
// graph-model layers
import { reluExport } from './layers/relu';
import { conv2dTransposeExport } from './layers/conv2d-transpose';
import { upSampling2dExport } from './layers/up-sampling';
import { separableConv2dExport } from './layers/separable-conv2d';
import { cropping2dExport } from './layers/cropping';
import { repeatVectorExport } from './layers/repeat-vector';
import { preluExport } from './layers/prelu';
import { alphaDropoutExport, gaussianDropoutExport, gaussianNoiseExport } from './layers/noise';
import { rescalingExport } from './layers/rescaling';
// merging several inputs
import {
  addExport,
  averageExport,
  concatenateExport,
  dotExport,
  maximumExport,
  minimumExport,
  multiplyExport,
  subtractExport,
} from './layers/merge';
// attention
import {
  positionEmbeddingExport,
  tokenAndPositionEmbeddingExport,
  transformerDecoderExport,
  transformerEncoderExport,
} from './layers/attention';

const EXPORTS: LayerExport[] = [
  denseExport,
  activationExport,
  dropoutExport,
  flattenExport,
  reshapeExport,
  permuteExport,
  // convolution and pooling
  conv2dExport,
  conv1dExport,
  depthwiseConv2dExport,
  maxPooling2dExport,
  averagePooling2dExport,
  maxPooling1dExport,
  averagePooling1dExport,
  globalAveragePooling2dExport,
  globalMaxPooling2dExport,
  globalMaxPooling1dExport,
  zeroPadding2dExport,
  batchNormalizationExport,
  spatialDropout1dExport,
  spatialDropout2dExport,
  // sequence models
  embeddingExport,
  simpleRnnExport,
  lstmExport,
  gruExport,
  bidirectionalExport,
  timeDistributedExport((className) => layerExportFor(className)),
  layerNormalizationExport,
  globalAveragePooling1dExport,
  maskingExport,
  // graph-model layers
  reluExport,
  conv2dTransposeExport,
  upSampling2dExport,
  separableConv2dExport,
  cropping2dExport,
  repeatVectorExport,
  preluExport,
  gaussianNoiseExport,
  gaussianDropoutExport,
  alphaDropoutExport,
  rescalingExport,
  // merging several inputs
  addExport,
  subtractExport,
  multiplyExport,
  averageExport,
  maximumExport,
  minimumExport,
  concatenateExport,
  dotExport,
  // attention
  positionEmbeddingExport,
  tokenAndPositionEmbeddingExport,
  transformerEncoderExport,
  transformerDecoderExport,
];

const BY_CLASS = new Map(EXPORTS.map((e) => [e.className, e]));

/** The TF.js class names the exporter writes. */
export const EXPORTABLE_LAYERS: readonly string[] = EXPORTS.map((e) => e.className);

/** The export of layers of `className`, or undefined when there is none. */
export function layerExportFor(className: string): LayerExport | undefined {
  return BY_CLASS.get(className);
}
