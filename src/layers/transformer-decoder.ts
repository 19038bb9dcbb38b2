/**
 * TransformerDecoder (KerasNLP, keras_hub.layers.TransformerDecoder) in decoder-only use (GPT): causal
 * self-attention (each step attends to itself and the steps before it), then a feed-forward network, each with a
 * residual connection, layer normalization and dropout (transformer-block.ts). A padding mask on the input masks
 * padded keys, as KerasNLP merges it with the causal mask; padded queries still attend (their outputs are what the
 * masked loss ignores). Cross-attention to an encoder's output needs a second input: not in this single-input form.
 * Weights as Keras names them: `<name>/self_attention/{query,key,value,attention_output}/{kernel,bias}`,
 * `self_attention_layer_norm/{gamma,beta}`, `feedforward_intermediate_dense/...`, `feedforward_output_dense/...`,
 * `feedforward_layer_norm/...`, in that order.
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
    // Keras writes the shapes it was built with; a file with an encoder sequence has cross-attention.
    if (c.has('encoderSequenceShape') && c.get('encoderSequenceShape') !== null) {
      c.fail('encoderSequenceShape', 'cross-attention (a decoder with an encoder input) is not supported yet');
    }
    return new TransformerDecoder(blockArgs(c));
  },
};
