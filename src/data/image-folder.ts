/**
 * A folder of PNG/JPEG images → an image tensor and labels, as Keras' `image_dataset_from_directory`: one
 * subfolder per class (class names sorted; labels are their indices), files found recursively in sorted
 * order, shuffled by `seed`, the last `validationSplit` of them held out. Every file is hostile until
 * checked: symlinks may not leave the folder, the number of images, each file's bytes, each image's declared
 * pixels (before decoding) and the whole tensor's bytes are limited, and every error names the file and the fix.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../random';
import type { Tensor } from '../model/tensor';
import type { Tensor2D } from './tensor';
import { decodeImage } from './image-decode';
import { channelsOf, COLOR_MODES, writePixels, type ColorMode } from './image-pixels';
import { listText, quote } from '../quote';

export interface ImageFolderOptions {
  /** [height, width] every image is resized to (bilinear, as Keras' default). Default [256, 256] as Keras. */
  imageSize?: [number, number];
  /** 'grayscale' (1 channel), 'rgb' (3, the default) or 'rgba' (4). */
  colorMode?: ColorMode;
  /** 'inferred' (default): one subfolder per class. null: unlabelled images anywhere under the folder. */
  labels?: 'inferred' | null;
  /** 'int' (default: class indices), 'categorical' (one-hot rows) or 'binary' (0/1 floats, two classes). */
  labelMode?: 'int' | 'categorical' | 'binary';
  /** The classes, in label order; each subfolder must be one of them (some may have no folder). */
  classNames?: string[];
  /** Shuffle the images (default true), by `seed`. */
  shuffle?: boolean;
  /** Seed of the shuffle (required with shuffle and validationSplit, as in Keras). */
  seed?: number;
  /** Fraction in (0, 1) of the (shuffled) images held out as `validation`: the last ones. */
  validationSplit?: number;
  /** Refuse folders with more images than this (default 100,000). */
  maxImages?: number;
  /** Refuse an image declaring more pixels than this, before decoding it (default 40,000,000). */
  maxPixels?: number;
  /** Refuse an image file larger than this many bytes (default 64 MiB). */
  maxFileBytes?: number;
  /** Refuse when the resized images would take more bytes than this (default 2 GiB). */
  maxBytes?: number;
}

/** Images as [n, height, width, channels] float32 in [0, 1], their labels, and the files they came from. */
export interface ImageSet {
  x: Tensor;
  /** Int32Array for 'int', [n, classes] for 'categorical', [n, 1] for 'binary'; absent for labels: null. */
  y?: Int32Array | Tensor2D;
  files: string[];
}

export interface ImageFolderData extends ImageSet {
  /** The classes, in label order (empty for labels: null). */
  classNames: string[];
  /** Files that were not read: other extensions, and files beside the class folders. */
  skipped: string[];
  /** The held-out images, with validationSplit. */
  validation?: ImageSet;
}

const WHO = 'loadImageFolder()';
const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);
/** Formats Keras reads that are not decoded here: refused rather than silently skipped. */
const UNSUPPORTED_EXTENSIONS = new Set(['.bmp', '.gif']);
const MAX_DEPTH = 32;

interface Found {
  file: string;
  label: number;
}

/** Python's sort (by code point), which Keras uses for class and file names. */
const byCodePoint = (a: string, b: string) => {
  const x = Array.from(a),
    y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
};

function positiveInt(name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
    throw new Error(`${WHO}: '${name}' must be a positive integer, got ${String(v)}`);
  return v;
}

/** The folder walk: images per class, with the limits on links, depth and counts. */
class Walker {
  readonly found: Found[] = [];
  readonly skipped: string[] = [];
  private entries = 0;
  private readonly visited = new Set<string>();

  constructor(
    private readonly root: string,
    private readonly maxImages: number,
  ) {}

  /** The real path of an entry; a link must stay inside the folder. */
  target(p: string): { real: string; stat: fs.Stats } {
    let real: string;
    try {
      real = fs.realpathSync(p);
    } catch (e) {
      throw new Error(
        `${WHO}: ${p}: a broken symbolic link (${(e as NodeJS.ErrnoException).code}); remove it or fix its target`,
      );
    }
    if (real !== this.root && !real.startsWith(this.root + path.sep)) {
      throw new Error(
        `${WHO}: ${p}: a symbolic link to ${real}, outside the folder ${this.root}; links may not leave ` +
          'the folder: copy the file in or remove the link',
      );
    }
    return { real, stat: fs.statSync(real) };
  }

  /** Sorted entries of a directory, counted against the walk's limit. */
  list(dir: string): string[] {
    const names = fs.readdirSync(dir).sort(byCodePoint);
    this.entries += names.length;
    const max = Math.max(10 * this.maxImages, 10000);
    if (this.entries > max) {
      throw new Error(
        `${WHO}: more than ${max.toLocaleString('en-US')} files and folders under ${this.root} (10 × maxImages); ` +
          'point at a smaller folder or raise maxImages',
      );
    }
    return names;
  }

  /** Every image under `dir` (recursively, sorted), labelled `label`. */
  walk(dir: string, label: number, depth: number): void {
    const { real } = this.target(dir);
    if (this.visited.has(real)) {
      throw new Error(`${WHO}: ${dir}: reached twice through symbolic links (a loop?); remove the link`);
    }
    if (depth > MAX_DEPTH) throw new Error(`${WHO}: ${dir}: nested more than ${MAX_DEPTH} folders deep`);
    this.visited.add(real);
    for (const name of this.list(dir)) {
      const p = path.join(dir, name);
      const { stat } = this.target(p);
      if (stat.isDirectory()) this.walk(p, label, depth + 1);
      else if (stat.isFile()) this.addFile(p, label);
      else this.skipped.push(p);
    }
  }

  addFile(p: string, label: number): void {
    const ext = path.extname(p).toLowerCase();
    if (UNSUPPORTED_EXTENSIONS.has(ext)) {
      throw new Error(`${WHO}: ${p}: ${ext.slice(1).toUpperCase()} images are not supported; convert it to PNG`);
    }
    if (!IMAGE_EXTENSIONS.has(ext)) {
      this.skipped.push(p);
      return;
    }
    if (this.found.length >= this.maxImages) {
      throw new Error(
        `${WHO}: more than maxImages ${this.maxImages.toLocaleString('en-US')} images under ${this.root}; ` +
          'use fewer images or raise maxImages',
      );
    }
    this.found.push({ file: p, label });
  }
}

/** Class folders (or the given class names) and the images in each. */
function findImages(
  root: string,
  labelled: boolean,
  given: string[] | undefined,
  maxImages: number,
): { found: Found[]; classNames: string[]; skipped: string[] } {
  const w = new Walker(root, maxImages);
  if (!labelled) {
    w.walk(root, -1, 0);
    return { found: w.found, classNames: [], skipped: w.skipped };
  }
  const dirs: string[] = [];
  for (const name of w.list(root)) {
    const p = path.join(root, name);
    const { stat } = w.target(p);
    if (stat.isDirectory()) dirs.push(name);
    else w.skipped.push(p);
  }
  if (dirs.length === 0) {
    throw new Error(
      `${WHO}: ${root} has no class subfolders; put each class's images in a subfolder named after the class ` +
        '(or pass labels: null for unlabelled images)',
    );
  }
  const classNames = given ?? dirs;
  const labels = new Map(classNames.map((c, i) => [c, i])); // a lookup per folder, not a scan of the classes
  for (const d of dirs) {
    const label = labels.get(d) ?? -1;
    if (label < 0) {
      throw new Error(
        `${WHO}: ${path.join(root, d)}: ${quote(d)} is not one of classNames [${listText(classNames)}]; ` +
          'remove the folder or add the class',
      );
    }
    const before = w.found.length;
    w.walk(path.join(root, d), label, 1);
    if (w.found.length === before && !given) {
      throw new Error(
        `${WHO}: class folder ${path.join(root, d)} has no PNG or JPEG images; add images or remove the folder`,
      );
    }
  }
  return { found: w.found, classNames, skipped: w.skipped };
}

function checkOptions(o: ImageFolderOptions): void {
  if (!o || typeof o !== 'object') throw new Error(`${WHO}: options must be an object`);
  const size = o.imageSize;
  if (
    size !== undefined &&
    !(Array.isArray(size) && size.length === 2 && size.every((v) => Number.isSafeInteger(v) && v >= 1 && v <= 8192))
  ) {
    throw new Error(`${WHO}: 'imageSize' must be [height, width], integers in [1, 8192], got ${JSON.stringify(size)}`);
  }
  if (o.colorMode !== undefined && !COLOR_MODES.includes(o.colorMode))
    throw new Error(`${WHO}: 'colorMode' must be ${COLOR_MODES.join(', ')}; got ${String(o.colorMode)}`);
  if (o.labels !== undefined && o.labels !== 'inferred' && o.labels !== null)
    throw new Error(`${WHO}: 'labels' must be 'inferred' or null, got ${String(o.labels)}`);
  if (o.labelMode !== undefined && !['int', 'categorical', 'binary'].includes(o.labelMode))
    throw new Error(`${WHO}: 'labelMode' must be 'int', 'categorical' or 'binary', got ${String(o.labelMode)}`);
  if (o.classNames !== undefined) {
    const c = o.classNames;
    if (!Array.isArray(c) || c.length === 0 || !c.every((s) => typeof s === 'string' && s !== ''))
      throw new Error(`${WHO}: 'classNames' must be a non-empty array of folder names`);
    if (new Set(c).size !== c.length) throw new Error(`${WHO}: 'classNames' has a name twice`);
    if (o.labels === null) throw new Error(`${WHO}: 'classNames' needs labels: 'inferred'`);
  }
  const split = o.validationSplit;
  if (split !== undefined && !(typeof split === 'number' && split > 0 && split < 1))
    throw new Error(`${WHO}: 'validationSplit' must be a fraction in (0, 1), got ${String(split)}`);
  if (o.seed !== undefined && !(typeof o.seed === 'number' && Number.isSafeInteger(o.seed)))
    throw new Error(`${WHO}: 'seed' must be an integer, got ${String(o.seed)}`);
  if (split !== undefined && o.shuffle !== false && o.seed === undefined)
    throw new Error(`${WHO}: with 'validationSplit' and shuffling, give a 'seed' so the split is the same each run`);
}

function labelsOf(labels: Int32Array, mode: 'int' | 'categorical' | 'binary', classes: number): Int32Array | Tensor2D {
  if (mode === 'int') return labels;
  const n = labels.length;
  if (mode === 'binary') {
    return { data: Float32Array.from(labels), shape: [n, 1], dtype: 'float32' };
  }
  const data = new Float32Array(n * classes);
  labels.forEach((k, i) => (data[i * classes + k] = 1));
  return { data, shape: [n, classes], dtype: 'float32' };
}

/**
 * Loads a folder of PNG/JPEG images, one subfolder per class, as Keras' `image_dataset_from_directory`
 * (in memory): x is [n, height, width, channels] float32 in [0, 1] (resized bilinearly). Files with other
 * extensions are skipped (listed in `skipped`); BMP/GIF files, files that do not decode, empty class
 * folders, links leaving the folder, and anything over a limit are refused with an error naming the file.
 * @example
 * const d = await bp.data.loadImageFolder('flowers', { imageSize: [64, 64], validationSplit: 0.2, seed: 1 });
 * // d.x: [n, 64, 64, 3], d.y: Int32Array of class indices, d.classNames: ['daisy', 'rose', ...]
 * await model.fit(d.x, d.y!, { validationData: [d.validation!.x, d.validation!.y!] });
 */
export async function loadImageFolder(dir: string, options: ImageFolderOptions = {}): Promise<ImageFolderData> {
  checkOptions(options);
  const [height, width] = options.imageSize ?? [256, 256];
  const mode = options.colorMode ?? 'rgb';
  const labelled = options.labels !== null;
  const labelMode = options.labelMode ?? 'int';
  const maxImages = positiveInt('maxImages', options.maxImages, 100000);
  const maxPixels = positiveInt('maxPixels', options.maxPixels, 40e6);
  const maxFileBytes = positiveInt('maxFileBytes', options.maxFileBytes, 64 * 2 ** 20);
  const maxBytes = positiveInt('maxBytes', options.maxBytes, 2 * 2 ** 30);
  if (typeof dir !== 'string' || dir === '') throw new Error(`${WHO}: 'dir' must be a folder path`);
  let root: string;
  try {
    root = fs.realpathSync(dir);
  } catch (e) {
    throw new Error(`${WHO}: ${dir}: cannot open the folder (${(e as NodeJS.ErrnoException).code})`);
  }
  if (!fs.statSync(root).isDirectory()) throw new Error(`${WHO}: ${dir}: not a folder; give the images' folder`);

  const { found, classNames, skipped } = findImages(root, labelled, options.classNames, maxImages);
  if (found.length === 0) throw new Error(`${WHO}: no PNG or JPEG images under ${dir}`);
  if (labelMode === 'binary' && classNames.length !== 2)
    throw new Error(`${WHO}: labelMode 'binary' needs exactly 2 classes, found ${classNames.length}`);
  const c = channelsOf(mode);
  const perImage = height * width * c;
  if (found.length * perImage * 4 > maxBytes) {
    throw new Error(
      `${WHO}: ${found.length} images of ${height}×${width}×${c} need ${found.length * perImage * 4} bytes, more ` +
        `than maxBytes ${maxBytes}; use a smaller imageSize, fewer images, or raise maxBytes`,
    );
  }
  if (options.shuffle !== false) new Rng(options.seed ?? Math.floor(Math.random() * 2 ** 31)).shuffle(found);
  const nVal = options.validationSplit === undefined ? 0 : Math.floor(options.validationSplit * found.length);
  if (options.validationSplit !== undefined && (nVal === 0 || nVal === found.length)) {
    throw new Error(
      `${WHO}: validationSplit ${options.validationSplit} of ${found.length} images leaves an empty subset; ` +
        'add images or change the fraction',
    );
  }

  const load = async (items: Found[]): Promise<ImageSet> => {
    const x = new Float32Array(items.length * perImage);
    for (const [i, { file }] of items.entries()) {
      const size = (await fs.promises.stat(file)).size;
      if (size > maxFileBytes) {
        throw new Error(
          `${WHO}: ${file}: ${size} bytes, more than maxFileBytes ${maxFileBytes}; ` +
            'shrink the image or raise maxFileBytes',
        );
      }
      const bytes = await fs.promises.readFile(file);
      try {
        writePixels(decodeImage(bytes, maxPixels), mode, height, width, x, i * perImage);
      } catch (e) {
        throw new Error(`${WHO}: ${file}: ${(e as Error).message}; remove or replace the file`);
      }
    }
    const set: ImageSet = {
      x: { data: x, shape: [items.length, height, width, c], dtype: 'float32' },
      files: items.map((f) => f.file),
    };
    if (labelled)
      set.y = labelsOf(
        Int32Array.from(items, (f) => f.label),
        labelMode,
        classNames.length,
      );
    return set;
  };
  const main = await load(found.slice(0, found.length - nVal));
  const result: ImageFolderData = { ...main, classNames: [...classNames], skipped };
  if (nVal > 0) result.validation = await load(found.slice(found.length - nVal));
  return result;
}
