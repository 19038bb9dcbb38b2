/**
 * TransformerDecoder (KerasNLP, keras_hub.layers.TransformerDecoder): causal self-attention (each step attends to
 * itself and the steps before it), then — when called on [decoderSequence, encoderSequence] — cross-attention of the
 * decoder's steps to the encoder's, then a feed-forward network, each with a residual connection, layer
 * normalization and dropout (transformer-block.ts). Called on one sequence (a Sequential, or apply(x)) it is the
 * decoder-only block of GPT. A padding mask on the decoder sequence masks padded keys, as KerasNLP merges it with the
 * causal mask; padded queries still attend (their outputs are what the masked loss ignores); the encoder's padding
 * mask masks its padded steps in the cross-attention. Weights as Keras names them:
 * `<name>/self_attention/{query,key,value,attention_output}/{kernel,bias}`, `self_attention_layer_norm/{gamma,beta}`,
 * [`cross_attention/...`, `cross_attention_layer_norm/...`,] `feedforward_intermediate_dense/...`,
 * `feedforward_output_dense/...`, `feedforward_layer_norm/...`, in that order.
 */
import type { ConfigReader } from './config-reader';
import type { LayerEntry } from './layer-entry';
import { blockArgs, TransformerBlock, type BlockNames, type TransformerBlockArgs } from './transformer-block';

export type TransformerDecoderArgs = TransformerBlockArgs;

export class TransformerDecoder extends TransformerBlock {
  readonly className = 'TransformerDecoder';
  protected readonly names: BlockNames = {
    attention: 'self_attention',
    attentionNorm: 'self_attention_layer_norm',
    feedforwardNorm: 'feedforward_layer_norm',
    normBeforeDense: false,
    crossAttention: 'cross_attention',
    crossAttentionNorm: 'cross_attention_layer_norm',
  };
  protected readonly attention = { masksQueries: false, causal: true };

  constructor(args: TransformerDecoderArgs) {
    super(args, 'layers.transformerDecoder()');
  }

  override getConfig(): Record<string, unknown> {
    return this.blockConfig();
  }
}

export const transformerDecoderEntry: LayerEntry = {
  className: 'TransformerDecoder',
  notInTfjs: "one of KerasNLP's layers",
  fromConfig(c: ConfigReader): TransformerDecoder {
    return new TransformerDecoder(blockArgs(c));
  },
};
