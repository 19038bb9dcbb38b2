/** GaussianNoise, GaussianDropout and AlphaDropout are the identity at inference: no node at all. */
import { AlphaDropout, GaussianDropout, GaussianNoise } from '../../layers/noise';
import { layerExport } from '../layer-export';

export const gaussianNoiseExport = layerExport('GaussianNoise', GaussianNoise, (_layer, x) => x);
export const gaussianDropoutExport = layerExport('GaussianDropout', GaussianDropout, (_layer, x) => x);
export const alphaDropoutExport = layerExport('AlphaDropout', AlphaDropout, (_layer, x) => x);
