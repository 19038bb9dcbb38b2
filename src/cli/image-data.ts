/**
 * Images in the CLI: `train --images DIR` (a folder of class subfolders, resized to `--image-size HxW`), the
 * digits and IDX images given to convolutional layers as [height, width, channels], and the same reading for
 * `evaluate`/`predict` of a model trained on images (its size and color mode are saved with it). Images
 * travel flattened through the scaler and are reshaped (no copy) for the layers that take images.
 */
import * as bp from '../index';
import type { Tensor } from '../model/tensor';
import type { Tensor2D } from '../data/tensor';
import { declaredInputShape, isFunctionalSpec, type ModelSpec } from '../model-spec';
import { keysToCamel } from '../io/case';
import { fail } from './errors';

export type ColorMode = 'grayscale' | 'rgb' | 'rgba';

/** Saved with the model (model.metadata.preprocessing.image). */
export interface ImagePreprocessing {
  /** One image: [height, width, channels]. */
  shape: number[];
  colorMode: ColorMode;
  /** Whether the model takes each image as one row of pixels (dense layers) instead of [h, w, c]. */
  flat: boolean;
}

export interface ImageOptions {
  images?: string;
  imageSize?: string;
  colorMode?: string;
  testSplit?: string;
  testData?: string;
  seed: number;
}

/** The checked --image-size and --color-mode (before any data is read). */
export function imageChoice(o: ImageOptions): { size: [number, number]; colorMode: ColorMode } | undefined {
  if (o.images === undefined) {
    if (o.imageSize !== undefined || o.colorMode !== undefined)
      fail('--image-size and --color-mode apply to an image folder: give --images <dir>');
    return undefined;
  }
  const m = (o.imageSize ?? '256x256').match(/^(\d+)x(\d+)$/);
  const size = m ? ([Number(m[1]), Number(m[2])] as [number, number]) : undefined;
  if (!size || !size.every((v) => v >= 1 && v <= 4096))
    fail(`--image-size must be HxW with sides in [1, 4096], e.g. 28x28; got '${o.imageSize}'`);
  const colorMode = (o.colorMode ?? 'rgb') as ColorMode;
  if (!['grayscale', 'rgb', 'rgba'].includes(colorMode))
    fail(`--color-mode must be grayscale, rgb or rgba, got '${o.colorMode}'`);
  return { size, colorMode };
}

const flat = (x: Tensor): Tensor2D => ({
  data: x.data,
  shape: [x.shape[0], x.data.length / Math.max(1, x.shape[0])],
  dtype: x.dtype,
});

/** Rows of pixels → [n, ...shape] (the same values). */
export function asImages(x: Tensor2D | Tensor, shape: number[]): Tensor {
  return { data: x.data, shape: [x.shape[0], ...shape], dtype: x.dtype };
}

/** The color mode of a number of channels (IDX and digits images). */
export const colorModeOf = (channels: number): ColorMode =>
  channels === 1 ? 'grayscale' : channels === 4 ? 'rgba' : 'rgb';

/** One IDX sample's shape as an image [h, w, c], if it is one (rank 2, or rank 3 with 1, 3 or 4 channels). */
export function idxImageShape(sampleShape: number[]): number[] | undefined {
  if (sampleShape.length === 2) return [...sampleShape, 1];
  if (sampleShape.length === 3 && [1, 3, 4].includes(sampleShape[2])) return sampleShape;
  return undefined;
}

/** What `train` gets from an image folder (the shape of dataset.ts's Prepared). */
export interface ImageTrainingData {
  train: { x: Tensor2D; y: Int32Array };
  test: { x: Tensor2D; y: Int32Array };
  task: 'classification';
  classes: string[];
  featureNames: string[];
  source: string;
  imageShape: number[];
  testFiles: string[];
}

/** `train --images DIR`: the folder split by --test-split (or a --test-data folder), flattened for the scaler. */
export async function loadImageTrainingData(
  o: ImageOptions,
  c: { size: [number, number]; colorMode: ColorMode },
): Promise<ImageTrainingData> {
  const testSize = o.testSplit === undefined ? 0.2 : Number(o.testSplit);
  if (!(testSize > 0 && testSize < 1)) fail(`--test-split must be a fraction in (0, 1), got '${o.testSplit}'`);
  const common = { imageSize: c.size, colorMode: c.colorMode, seed: o.seed };
  const d = await bp.data.loadImageFolder(o.images!, {
    ...common,
    validationSplit: o.testData === undefined ? testSize : undefined,
  });
  const test = o.testData
    ? await bp.data.loadImageFolder(o.testData, { ...common, classNames: d.classNames, shuffle: false })
    : d.validation!;
  return {
    train: { x: flat(d.x), y: d.y as Int32Array },
    test: { x: flat(test.x), y: test.y as Int32Array },
    task: 'classification',
    classes: d.classNames,
    featureNames: [],
    source: o.images!,
    imageShape: d.x.shape.slice(1),
    testFiles: test.files,
  };
}

/** Layer classes that take images as their input. */
const IMAGE_INPUT_LAYERS = new Set([
  'Conv2D',
  'DepthwiseConv2D',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
  'ZeroPadding2D',
  'SpatialDropout2D',
  'Flatten',
]);

/** Whether a --model-spec takes images [h, w, c]: its declared input rank, else its first layer's class. */
export function specTakesImages(spec: ModelSpec): boolean {
  if (isFunctionalSpec(spec)) return declaredInputShape(spec)?.length === 3;
  const first = spec.layers[0];
  if (!first || typeof first !== 'object') return false;
  const config = 'className' in first ? (keysToCamel(first.config ?? {}) as Record<string, unknown>) : first;
  const shape = (config as { inputShape?: unknown }).inputShape;
  if (Array.isArray(shape)) return shape.length === 3;
  return 'className' in first && IMAGE_INPUT_LAYERS.has(first.className);
}

/** IDX images scaled as train read them (uint8 / 255), without labels. */
function idxImages(file: string): { x: Tensor2D; sampleShape: number[] } {
  const d = bp.data.readIdx(file);
  const n = d.shape[0];
  const k = d.type === 'uint8' ? 1 / 255 : 1;
  const x = new Float32Array(d.data.length);
  for (let i = 0; i < x.length; i++) x[i] = d.data[i] * k;
  return { x: { data: x, shape: [n, x.length / Math.max(1, n)], dtype: 'float32' }, sampleShape: d.shape.slice(1) };
}

/**
 * The images of `evaluate`/`predict` for a model trained on images: an image folder (resized to the model's
 * size, in its color mode; class subfolders named as its classes when labels are needed) or IDX files.
 */
export async function loadImagesForModel(
  o: { images?: string; dataIdx?: string; labelsIdx?: string },
  image: ImagePreprocessing,
  classes: string[] | undefined,
  needLabels: boolean,
): Promise<{ x: Tensor2D; y?: Int32Array; files?: string[] }> {
  if ((o.images === undefined) === (o.dataIdx === undefined))
    fail('this model was trained on images: give --images <dir> or --data-idx <images.idx> (not --data)');
  if (o.images !== undefined) {
    const d = await bp.data.loadImageFolder(o.images, {
      imageSize: [image.shape[0], image.shape[1]],
      colorMode: image.colorMode,
      labels: needLabels ? 'inferred' : null,
      classNames: needLabels ? classes : undefined,
      shuffle: false,
    });
    return { x: flat(d.x), y: d.y as Int32Array | undefined, files: d.files };
  }
  if (needLabels && !o.labelsIdx) fail('--data-idx needs --labels-idx (the labels file) to evaluate');
  const d: { x: Tensor2D; y?: Int32Array; sampleShape: number[] } = needLabels
    ? bp.data.loadIdx(o.dataIdx!, o.labelsIdx!)
    : idxImages(o.dataIdx!);
  const shape = idxImageShape(d.sampleShape);
  if (!shape || shape.join() !== image.shape.join())
    fail(`${o.dataIdx}: images of shape [${d.sampleShape.join(', ')}]; the model takes [${image.shape.join(', ')}]`);
  const k = classes?.length ?? 0;
  const y = d.y;
  y?.forEach((v, i) => {
    if (v >= k) fail(`${o.labelsIdx}: label ${i} is ${v}, but the model has ${k} classes (0 to ${k - 1})`);
  });
  return { x: d.x, y };
}
