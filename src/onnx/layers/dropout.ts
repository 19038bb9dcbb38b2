/** Dropout is the identity at inference: no node at all. */
import { Dropout } from '../../layers/dropout';
import { layerExport } from '../layer-export';

export const dropoutExport = layerExport('Dropout', Dropout, (_layer, x) => x);
