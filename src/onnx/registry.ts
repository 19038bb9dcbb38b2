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

const EXPORTS: LayerExport[] = [
  denseExport,
  activationExport,
  dropoutExport,
  flattenExport,
  reshapeExport,
  permuteExport,
];

const BY_CLASS = new Map(EXPORTS.map((e) => [e.className, e]));

/** The TF.js class names the exporter writes. */
export const EXPORTABLE_LAYERS: readonly string[] = EXPORTS.map((e) => e.className);

/** The export of layers of `className`, or undefined when there is none. */
export function layerExportFor(className: string): LayerExport | undefined {
  return BY_CLASS.get(className);
}
