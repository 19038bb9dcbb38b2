/**
 * `bp.io`: model files beyond model.save / bp.loadLayersModel (TF.js Layers format) — the weights alone in
 * the safetensors format.
 */
export { loadSafetensors, saveSafetensors } from './safetensors-file';
export type { SafetensorsLoadOptions, SafetensorsSaveResult } from './safetensors-file';
