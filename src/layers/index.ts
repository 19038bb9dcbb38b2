/**
 * Layer factories, named as in TF.js (`tf.layers.dense` → `bp.layers.dense`).
 * @example
 * const model = bp.sequential({ layers: [
 *   bp.layers.dense({ units: 16, activation: 'relu', inputShape: [4] }),
 *   bp.layers.dropout({ rate: 0.1 }),
 *   bp.layers.dense({ units: 3, activation: 'softmax' }),
 * ] });
 */
import { ActivationLayer, type ActivationArgs } from './activation';
import { Dense, type DenseArgs } from './dense';
import { Dropout, type DropoutArgs } from './dropout';
import { Flatten, type FlattenArgs } from './flatten';
import type { LayerArgs } from './layer';
import { Permute, type PermuteArgs } from './permute';
import { Reshape, type ReshapeArgs } from './reshape';
// sequence models
import { Bidirectional, type BidirectionalArgs } from './bidirectional';
import { Embedding, type EmbeddingArgs } from './embedding';
import { GlobalAveragePooling1D } from './global-average-pooling1d';
import { GRU, type GruArgs } from './gru';
import { LayerNormalization, type LayerNormalizationArgs } from './layer-normalization';
import { LSTM, type LstmArgs } from './lstm';
import { Masking, type MaskingArgs } from './masking';
import { SimpleRNN, type SimpleRnnArgs } from './simple-rnn';
import { TimeDistributed, type TimeDistributedArgs } from './time-distributed';
// attention
import { PositionEmbedding, type PositionEmbeddingArgs } from './position-embedding';
import { TokenAndPositionEmbedding, type TokenAndPositionEmbeddingArgs } from './token-and-position-embedding';
import { TransformerDecoder, type TransformerDecoderArgs } from './transformer-decoder';
import { TransformerEncoder, type TransformerEncoderArgs } from './transformer-encoder';

/**
 * A fully connected layer, applied to the last axis of its input.
 * @example bp.layers.dense({ units: 64, activation: 'relu', inputShape: [784] })
 */
export function dense(args: DenseArgs): Dense {
  return new Dense(args);
}
/** An activation on its own. @example bp.layers.activation({ activation: 'softmax' }) */
export function activation(args: ActivationArgs): ActivationLayer {
  return new ActivationLayer(args);
}
/** Leaky ReLU with slope `alpha` below 0 (default 0.3). @example bp.layers.leakyReLU({ alpha: 0.1 }) */
export function leakyReLU(args: LayerArgs & { alpha?: number } = {}): ActivationLayer {
  return new ActivationLayer({ ...args, activation: 'leakyRelu', alpha: args.alpha ?? 0.3 });
}
/** Dropout, active only while training. @example bp.layers.dropout({ rate: 0.25 }) */
export function dropout(args: DropoutArgs): Dropout {
  return new Dropout(args);
}
/** Flattens each sample to one axis. @example bp.layers.flatten() // [28, 28, 1] → [784] */
export function flatten(args?: FlattenArgs): Flatten {
  return new Flatten(args);
}
/** Reshapes each sample. @example bp.layers.reshape({ targetShape: [28, 28, 1] }) */
export function reshape(args: ReshapeArgs): Reshape {
  return new Reshape(args);
}
/** Permutes the axes of each sample (1-based). @example bp.layers.permute({ dims: [2, 1] }) // [50, 32] → [32, 50] */
export function permute(args: PermuteArgs): Permute {
  return new Permute(args);
}

export { Layer } from './layer';
export type { LayerArgs, WeightSpec } from './layer';
export { layerFromConfig, SUPPORTED_LAYERS } from './registry';
export type { Shape } from './shape';
export { Dense, ActivationLayer, Dropout, Flatten, Reshape, Permute };
export type { DenseArgs, ActivationArgs, DropoutArgs, FlattenArgs, ReshapeArgs, PermuteArgs };

// sequence models

/**
 * Token ids → learned vectors: [steps] → [steps, outputDim]. With `maskZero`, id 0 is padding that later
 * recurrent layers skip and the loss ignores.
 * @example bp.layers.embedding({ inputDim: 5000, outputDim: 64, inputLength: 40, maskZero: true })
 */
export function embedding(args: EmbeddingArgs): Embedding {
  return new Embedding(args);
}
/**
 * A fully connected recurrent layer, `h_t = act(x_t·W + h_{t-1}·U + b)`: [steps, features] → [units] (or
 * [steps, units] with returnSequences).
 * @example bp.layers.simpleRNN({ units: 32, inputShape: [20, 8] })
 */
export function simpleRNN(args: SimpleRnnArgs): SimpleRNN {
  return new SimpleRNN(args);
}
/**
 * Long short-term memory: [steps, features] → [units] (or [steps, units] with returnSequences). Gates use
 * `recurrentActivation` (TF.js default 'hardSigmoid'; 'sigmoid' as Keras and PyTorch).
 * @example bp.layers.lstm({ units: 128, recurrentActivation: 'sigmoid', inputShape: [28, 28] })
 */
export function lstm(args: LstmArgs): LSTM {
  return new LSTM(args);
}
/**
 * Gated recurrent unit: [steps, features] → [units] (or [steps, units]). `resetAfter: true` is Keras'
 * default variant (loads from Keras files; TF.js cannot load it), false the TF.js one (default).
 * @example bp.layers.gru({ units: 64, inputShape: [50, 32] })
 */
export function gru(args: GruArgs): GRU {
  return new GRU(args);
}
/**
 * Runs a recurrent layer forwards and backwards and merges the two ('concat', 'sum', 'mul', 'ave').
 * @example
 * bp.layers.bidirectional({ layer: bp.layers.lstm({ units: 32, returnSequences: true }), inputShape: [40, 16] })
 */
export function bidirectional(args: BidirectionalArgs): Bidirectional {
  return new Bidirectional(args);
}
/**
 * Applies a layer to every step of [steps, ...] inputs.
 * @example bp.layers.timeDistributed({ layer: bp.layers.dense({ units: 10, activation: 'softmax' }) })
 */
export function timeDistributed(args: TimeDistributedArgs): TimeDistributed {
  return new TimeDistributed(args);
}
/** Normalises each position's features (last axis). @example bp.layers.layerNormalization({ epsilon: 1e-3 }) */
export function layerNormalization(args?: LayerNormalizationArgs): LayerNormalization {
  return new LayerNormalization(args);
}
/**
 * The mean over steps: [steps, features] → [features] (real steps only under a mask).
 * @example bp.layers.globalAveragePooling1d()
 */
export function globalAveragePooling1d(args?: LayerArgs): GlobalAveragePooling1D {
  return new GlobalAveragePooling1D(args);
}
/**
 * Marks steps whose features all equal `maskValue` as padding (later recurrent layers skip them).
 * @example bp.layers.masking({ maskValue: 0, inputShape: [30, 4] })
 */
export function masking(args?: MaskingArgs): Masking {
  return new Masking(args);
}
export {
  Embedding,
  SimpleRNN,
  LSTM,
  GRU,
  Bidirectional,
  TimeDistributed,
  LayerNormalization,
  GlobalAveragePooling1D,
  Masking,
};
export type {
  EmbeddingArgs,
  SimpleRnnArgs,
  LstmArgs,
  GruArgs,
  BidirectionalArgs,
  TimeDistributedArgs,
  LayerNormalizationArgs,
  MaskingArgs,
};
// convolution and pooling
import { Conv2D, type Conv2DArgs } from './conv2d';
import { Conv1D, type Conv1DArgs } from './conv1d';
import { DepthwiseConv2D, type DepthwiseConv2DArgs } from './depthwise-conv2d';
import { AveragePooling1D, AveragePooling2D, MaxPooling1D, MaxPooling2D, type PoolingArgs } from './pooling';
import {
  GlobalAveragePooling2D,
  GlobalMaxPooling1D,
  GlobalMaxPooling2D,
  type GlobalPoolingArgs,
} from './global-pooling';
import { ZeroPadding2D, type ZeroPadding2DArgs } from './zero-padding2d';
import { BatchNormalization, type BatchNormalizationArgs } from './batch-normalization';
import { SpatialDropout1D, SpatialDropout2D, type SpatialDropoutArgs } from './spatial-dropout';

/**
 * A 2-D convolution over images [height, width, channels]; kernel [kH, kW, inChannels, filters].
 * @example bp.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] })
 */
export function conv2d(args: Conv2DArgs): Conv2D {
  return new Conv2D(args);
}
/**
 * A 1-D convolution along sequences [steps, channels]; padding 'valid', 'same' or 'causal'.
 * @example bp.layers.conv1d({ filters: 16, kernelSize: 5, activation: 'relu', inputShape: [100, 8] })
 */
export function conv1d(args: Conv1DArgs): Conv1D {
  return new Conv1D(args);
}
/**
 * A depthwise 2-D convolution: each input channel with its own `depthMultiplier` filters.
 * @example bp.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same' })
 */
export function depthwiseConv2d(args: DepthwiseConv2DArgs): DepthwiseConv2D {
  return new DepthwiseConv2D(args);
}
/** Max pooling over images (default 2×2 windows, strides = poolSize). @example bp.layers.maxPooling2d() */
export function maxPooling2d(args?: PoolingArgs): MaxPooling2D {
  return new MaxPooling2D(args);
}
/** Average pooling over images. @example bp.layers.averagePooling2d({ poolSize: 2, padding: 'same' }) */
export function averagePooling2d(args?: PoolingArgs): AveragePooling2D {
  return new AveragePooling2D(args);
}
/** Max pooling along sequences [steps, channels]. @example bp.layers.maxPooling1d({ poolSize: 2 }) */
export function maxPooling1d(args?: PoolingArgs): MaxPooling1D {
  return new MaxPooling1D(args);
}
/** Average pooling along sequences [steps, channels]. @example bp.layers.averagePooling1d({ poolSize: 3 }) */
export function averagePooling1d(args?: PoolingArgs): AveragePooling1D {
  return new AveragePooling1D(args);
}
/** The mean of each channel over the image: [h, w, c] → [c]. @example bp.layers.globalAveragePooling2d() */
export function globalAveragePooling2d(args?: GlobalPoolingArgs): GlobalAveragePooling2D {
  return new GlobalAveragePooling2D(args);
}
/** The maximum of each channel over the image: [h, w, c] → [c]. @example bp.layers.globalMaxPooling2d() */
export function globalMaxPooling2d(args?: GlobalPoolingArgs): GlobalMaxPooling2D {
  return new GlobalMaxPooling2D(args);
}
/** The maximum of each channel over the steps: [steps, c] → [c]. @example bp.layers.globalMaxPooling1d() */
export function globalMaxPooling1d(args?: GlobalPoolingArgs): GlobalMaxPooling1D {
  return new GlobalMaxPooling1D(args);
}
/** Zeros around images. @example bp.layers.zeroPadding2d({ padding: [[1, 2], [0, 1]] }) // top, bottom, left, right */
export function zeroPadding2d(args?: ZeroPadding2DArgs): ZeroPadding2D {
  return new ZeroPadding2D(args);
}
/**
 * Batch normalization over the last axis: batch statistics in training, moving ones at inference.
 * @example bp.layers.batchNormalization({ momentum: 0.99, epsilon: 1e-3 })
 */
export function batchNormalization(args?: BatchNormalizationArgs): BatchNormalization {
  return new BatchNormalization(args);
}
/** Drops whole channels of [steps, channels] in training. @example bp.layers.spatialDropout1d({ rate: 0.2 }) */
export function spatialDropout1d(args: SpatialDropoutArgs): SpatialDropout1D {
  return new SpatialDropout1D(args);
}
/** Drops whole feature maps of [h, w, channels] in training. @example bp.layers.spatialDropout2d({ rate: 0.2 }) */
export function spatialDropout2d(args: SpatialDropoutArgs): SpatialDropout2D {
  return new SpatialDropout2D(args);
}

export { Conv2D, Conv1D, DepthwiseConv2D, MaxPooling2D, AveragePooling2D, MaxPooling1D, AveragePooling1D };
export { GlobalAveragePooling2D, GlobalMaxPooling2D, GlobalMaxPooling1D };
export { ZeroPadding2D, BatchNormalization, SpatialDropout1D, SpatialDropout2D };
export type { Conv2DArgs, Conv1DArgs, DepthwiseConv2DArgs, PoolingArgs, GlobalPoolingArgs, ZeroPadding2DArgs };
export type { BatchNormalizationArgs, SpatialDropoutArgs };

// graph-model layers
import { ReLU, type ReLUArgs } from './relu';
import { Conv2DTranspose, type Conv2DTransposeArgs } from './conv2d-transpose';
import { UpSampling2D, type UpSampling2DArgs, type Interpolation } from './up-sampling2d';
import { SeparableConv2D, type SeparableConv2DArgs } from './separable-conv2d';
import { Cropping2D, type Cropping2DArgs } from './cropping2d';
import { RepeatVector, type RepeatVectorArgs } from './repeat-vector';
import { PReLU, type PReLUArgs } from './prelu';
import {
  AlphaDropout,
  GaussianDropout,
  GaussianNoise,
  type AlphaDropoutArgs,
  type GaussianDropoutArgs,
  type GaussianNoiseArgs,
} from './noise';
import { Rescaling, type RescalingArgs } from './rescaling';

/**
 * ReLU with Keras' options: `min(x, maxValue)` above `threshold`, `negativeSlope·(x − threshold)` below (all
 * default 0, no maximum). `maxValue: 6` is MobileNet's ReLU6. TF.js reads `maxValue` only: `negativeSlope` with a
 * maximum or threshold, and `threshold`, are Keras-only.
 * @example bp.layers.reLU({ maxValue: 6 }) // ReLU6
 */
export function reLU(args?: ReLUArgs): ReLU {
  return new ReLU(args);
}
/**
 * A transposed convolution ("deconvolution"), the learned upsampling of decoders and GANs: [h, w, c] →
 * [h·sH, w·sW, filters] with padding 'same' (with 'valid', plus max(kernel − stride, 0)); kernel [kH, kW, filters,
 * inChannels].
 * @example bp.layers.conv2dTranspose({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' })
 */
export function conv2dTranspose(args: Conv2DTransposeArgs): Conv2DTranspose {
  return new Conv2DTranspose(args);
}
/**
 * Upsamples images by whole factors, repeating pixels ('nearest') or interpolating ('bilinear', as TF.js).
 * @example bp.layers.upSampling2d({ size: 2, interpolation: 'bilinear' }) // [14, 14, 8] → [28, 28, 8]
 */
export function upSampling2d(args?: UpSampling2DArgs): UpSampling2D {
  return new UpSampling2D(args);
}
/**
 * A depthwise convolution then a pointwise (1×1) one, with bias and activation after the second: Xception /
 * MobileNet blocks at a fraction of a Conv2D's cost. Weights depthwise_kernel, pointwise_kernel, bias.
 * @example bp.layers.separableConv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' })
 */
export function separableConv2d(args: SeparableConv2DArgs): SeparableConv2D {
  return new SeparableConv2D(args);
}
/**
 * Crops rows and columns off the edges of images.
 * @example bp.layers.cropping2d({ cropping: [[1, 1], [2, 2]] }) // [28, 28, 3] → [26, 24, 3]
 */
export function cropping2d(args?: Cropping2DArgs): Cropping2D {
  return new Cropping2D(args);
}
/** Repeats a vector n times: [features] → [n, features]. @example bp.layers.repeatVector({ n: 12 }) */
export function repeatVector(args: RepeatVectorArgs): RepeatVector {
  return new RepeatVector(args);
}
/**
 * Parametric ReLU: `x` above 0, a learned `alpha·x` below, alpha per value or shared along `sharedAxes`.
 * @example bp.layers.pReLU({ sharedAxes: [1, 2] }) // one alpha per channel of [h, w, c] images
 */
export function pReLU(args?: PReLUArgs): PReLU {
  return new PReLU(args);
}
/**
 * Adds N(0, stddev²) noise while training (identity at inference).
 * @example bp.layers.gaussianNoise({ stddev: 0.2 })
 */
export function gaussianNoise(args: GaussianNoiseArgs): GaussianNoise {
  return new GaussianNoise(args);
}
/**
 * Multiplies by N(1, rate/(1 − rate)) noise while training (identity at inference).
 * @example bp.layers.gaussianDropout({ rate: 0.2 })
 */
export function gaussianDropout(args: GaussianDropoutArgs): GaussianDropout {
  return new GaussianDropout(args);
}
/**
 * Dropout that keeps the mean and variance of SELU activations, while training (identity at inference).
 * @example bp.layers.alphaDropout({ rate: 0.1 })
 */
export function alphaDropout(args: AlphaDropoutArgs): AlphaDropout {
  return new AlphaDropout(args);
}
/** `x·scale + offset`. @example bp.layers.rescaling({ scale: 1 / 127.5, offset: -1 }) // pixels to [-1, 1] */
export function rescaling(args: RescalingArgs): Rescaling {
  return new Rescaling(args);
}

export { ReLU, Conv2DTranspose, UpSampling2D, SeparableConv2D, Cropping2D, RepeatVector, PReLU };
export { GaussianNoise, GaussianDropout, AlphaDropout, Rescaling };
export type { ReLUArgs, Conv2DTransposeArgs, UpSampling2DArgs, Interpolation, SeparableConv2DArgs, Cropping2DArgs };
export type { RepeatVectorArgs, PReLUArgs, GaussianNoiseArgs, GaussianDropoutArgs, AlphaDropoutArgs, RescalingArgs };
// merging several inputs (functional models)
import { Add, Average, Maximum, Minimum, Multiply, Subtract } from './elementwise-merge';
import { Concatenate, type ConcatenateArgs } from './concatenate';
import { Dot, type DotArgs } from './dot';
import { InputLayer, type InputArgs } from './input-layer';

/**
 * Sums its inputs (shapes equal, or broadcastable). A residual connection:
 * @example const y = bp.layers.add().apply([x, bp.layers.dense({ units: 32 }).apply(x)]);
 */
export function add(args?: LayerArgs): Add {
  return new Add(args);
}
/** The first input minus the second (Keras only: TF.js cannot load it). @example bp.layers.subtract().apply([a, b]) */
export function subtract(args?: LayerArgs): Subtract {
  return new Subtract(args);
}
/** Elementwise product of its inputs. @example bp.layers.multiply().apply([gate, value]) */
export function multiply(args?: LayerArgs): Multiply {
  return new Multiply(args);
}
/** Mean of its inputs. @example bp.layers.average().apply([a, b, c]) */
export function average(args?: LayerArgs): Average {
  return new Average(args);
}
/** Elementwise maximum of its inputs. @example bp.layers.maximum().apply([a, b]) */
export function maximum(args?: LayerArgs): Maximum {
  return new Maximum(args);
}
/** Elementwise minimum of its inputs. @example bp.layers.minimum().apply([a, b]) */
export function minimum(args?: LayerArgs): Minimum {
  return new Minimum(args);
}
/**
 * Joins its inputs along an axis (default the last).
 * @example const both = bp.layers.concatenate().apply([tabular, textFeatures]);
 */
export function concatenate(args?: ConcatenateArgs): Concatenate {
  return new Concatenate(args);
}
/**
 * Dot product of two inputs per sample along `axes`; `normalize: true` gives cosine similarity.
 * @example const similarity = bp.layers.dot({ axes: 1, normalize: true }).apply([a, b]);
 */
export function dot(args: DotArgs): Dot {
  return new Dot(args);
}
/** An input layer, as `tf.layers.inputLayer` (bp.input() returns its output directly). */
export function inputLayer(args: InputArgs): InputLayer {
  return new InputLayer(args);
}

export { Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot, InputLayer };
export type { ConcatenateArgs, DotArgs, InputArgs };
export { MergeLayer } from './merge-layer';
// attention (KerasNLP's transformer layers: single-input, so they work in sequential models)

/**
 * A learned embedding per position: [steps, features] → the embeddings of positions 0..steps-1 (the input's values
 * are not read). Usually added to token embeddings; tokenAndPositionEmbedding does both in one layer.
 * @example bp.layers.positionEmbedding({ sequenceLength: 64, inputShape: [64, 32] })
 */
export function positionEmbedding(args: PositionEmbeddingArgs): PositionEmbedding {
  return new PositionEmbedding(args);
}
/**
 * Token ids [steps] → token embedding + position embedding, [steps, embeddingDim] (KerasNLP). With `maskZero`, id 0
 * is padding: attention does not attend to it and the loss skips it.
 * @example
 * bp.layers.tokenAndPositionEmbedding({ vocabularySize: 64, sequenceLength: 32, embeddingDim: 128, inputShape: [32] })
 */
export function tokenAndPositionEmbedding(args: TokenAndPositionEmbeddingArgs): TokenAndPositionEmbedding {
  return new TokenAndPositionEmbedding(args);
}
/**
 * A transformer encoder block (KerasNLP): multi-head self-attention over the whole sequence and a feed-forward
 * network, each with a residual connection, layer normalization and dropout; [steps, features] → the same shape.
 * `normalizeFirst` puts the normalizations before the blocks (GPT-2) instead of after (BERT, the default).
 * @example bp.layers.transformerEncoder({ intermediateDim: 256, numHeads: 4, dropout: 0.1 })
 */
export function transformerEncoder(args: TransformerEncoderArgs): TransformerEncoder {
  return new TransformerEncoder(args);
}
/**
 * A transformer decoder block (KerasNLP) used decoder-only, as in GPT: causal self-attention (each step sees itself
 * and the steps before it) and a feed-forward network, with residual connections, layer normalization and dropout.
 * @example bp.layers.transformerDecoder({ intermediateDim: 512, numHeads: 4, normalizeFirst: true })
 */
export function transformerDecoder(args: TransformerDecoderArgs): TransformerDecoder {
  return new TransformerDecoder(args);
}

export { PositionEmbedding, TokenAndPositionEmbedding, TransformerEncoder, TransformerDecoder };
export type { PositionEmbeddingArgs, TokenAndPositionEmbeddingArgs, TransformerEncoderArgs, TransformerDecoderArgs };
