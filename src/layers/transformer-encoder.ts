/**
 * TransformerEncoder (KerasNLP, keras_hub.layers.TransformerEncoder): self-attention over the whole sequence, then
 * a feed-forward network, each with a residual connection, layer normalization and dropout (transformer-block.ts).
 * A padding mask on the input (Embedding({ maskZero }), tokenAndPositionEmbedding({ maskZero })) masks padded keys
 * for every query and, as Keras 3's MultiHeadAttention does with a masked query, padded queries too (their
 * attention output is 0). Weights as Keras names them: `<name>/self_attention_layer/{query,key,value,
 * attention_output}/{kernel,bias}`, `self_attention_layer_norm/{gamma,beta}`, `feedforward_layer_norm/...`,
 * `feedforward_intermediate_dense/{kernel,bias}`, `feedforward_output_dense/...`, in that order.
 */
import type { RegularizerIdentifier } from '../training/regularizers';
import type { ConfigReader } from './config-reader';
import type { LayerEntry } from './layer-entry';
import { blockArgs, TransformerBlock, type BlockNames, type TransformerBlockArgs } from './transformer-block';

export interface TransformerEncoderArgs extends TransformerBlockArgs {
  /** Regularizer of the attention and feed-forward kernels. */
  kernelRegularizer?: RegularizerIdentifier;
  /** Regularizer of their biases. */
  biasRegularizer?: RegularizerIdentifier;
}

export class TransformerEncoder extends TransformerBlock {
  readonly className = 'TransformerEncoder';
  protected readonly names: BlockNames = {
    attention: 'self_attention_layer',
    attentionNorm: 'self_attention_layer_norm',
    feedforwardNorm: 'feedforward_layer_norm',
    normBeforeDense: true,
  };
  protected readonly attention = { masksQueries: true, causal: false };

  constructor(args: TransformerEncoderArgs) {
    super(args, 'layers.transformerEncoder()', { kernel: args?.kernelRegularizer, bias: args?.biasRegularizer });
  }

  override getConfig(): Record<string, unknown> {
    return { ...this.blockConfig(), ...this.regularizerConfig() };
  }
}

export const transformerEncoderEntry: LayerEntry = {
  className: 'TransformerEncoder',
  notInTfjs: "one of KerasNLP's layers",
  fromConfig(c: ConfigReader): TransformerEncoder {
    c.unsupported('activityRegularizer');
    return new TransformerEncoder({
      ...blockArgs(c),
      kernelRegularizer: c.regularizer('kernelRegularizer'),
      biasRegularizer: c.regularizer('biasRegularizer'),
    });
  },
};
