/**
 * Datasets (`bp.data.csvDataset`, `imageFolderDataset`, `textLineDataset`, `generator`, `array`, `zip`):
 * data streamed in passes, decoded in worker threads, for `model.fitDataset`. See dataset.ts.
 */
export { Dataset, zip } from './dataset';
export { array, generator } from './sources';
export { textLineDataset } from './text-lines';
export type { TextLineOptions } from './text-lines';
export { csvDataset, CsvDataset } from './csv-dataset';
export type { CsvDatasetOptions, CsvRow, CsvBatch, CsvInfo, CsvPassSummary } from './csv-dataset';
export { imageFolderDataset } from './image-dataset';
export type { ImageFolderDatasetOptions, ImageBatch } from './image-dataset';
export type { FileInput } from './file-source';
export type { Batched, BatchTensor } from './element';
export type { DatasetStructure } from './zip';
