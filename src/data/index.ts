/**
 * Data utilities (`bp.data`): tensors, CSV and IDX files, one-hot, scalers, splitting, built-in datasets.
 * @example
 * const { x, y, classes } = bp.data.loadCsv('data.csv', { target: 'label' });
 * const scaler = bp.data.standardScaler().fit(x);
 * const { xTrain, xTest, yTrain, yTest } = bp.data.trainTestSplit(scaler.transform(x), y, { testSize: 0.2 });
 */
export { tensor2d, toMatrix } from './tensor';
export type { Tensor2D } from './tensor';
export { loadCsv, parseCsv } from './csv';
export type { CsvOptions, CsvData } from './csv';
export { readIdx, writeIdx, encodeIdx, loadIdx } from './idx';
export type { IdxType, IdxArray } from './idx';
export { oneHot, standardScaler, minMaxScaler, Scaler, trainTestSplit, shuffle } from './preprocess';
export type { ScalerState } from './preprocess';
export { xor, digits } from './datasets';
export type { LabelledSet } from './datasets';
// sequence models
export { tokenizer, Tokenizer, PAD_ID, OOV_ID } from './tokenizer';
export type { TokenizerOptions, TokenizerState, EncodeOptions } from './tokenizer';
export { loadTextCsv, parseTextCsv } from './text-csv';
export type { TextCsvOptions, TextCsvData } from './text-csv';
// image folders (convolutional networks)
export { loadImageFolder } from './image-folder';
export type { ImageFolderOptions, ImageFolderData, ImageSet } from './image-folder';
export { decodeImage } from './image-decode';
export type { RgbaImage, ImageFormat } from './image-decode';
export type { ColorMode } from './image-pixels';
// attention: a text corpus for language models
export { firstNames } from './first-names';
export type { FirstNamesOptions } from './first-names';
export { CharVocabulary, charStream, sampleWindows, gptLayers, generate, END } from './char-lm';
export type { GptOptions, GenerateOptions } from './char-lm';
