/** SpatialDropout1D and SpatialDropout2D are the identity at inference: no node, the input's layout kept. */
import { SpatialDropout1D, SpatialDropout2D } from '../../layers/spatial-dropout';
import { layerExport } from '../layer-export';

export const spatialDropout1dExport = layerExport('SpatialDropout1D', SpatialDropout1D, (_layer, x) => x);
export const spatialDropout2dExport = layerExport('SpatialDropout2D', SpatialDropout2D, (_layer, x) => x);
