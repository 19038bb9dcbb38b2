/**
 * Shared checks of the transformer layers (KerasNLP's, which TF.js cannot load, so no TF.js parity): the model
 * saved and loaded again predicts the same, and its weights keep their names, shapes and order.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as bp from '../../src';

/** Save, load, same predictions (bit for bit) and the same weight names and shapes. */
export async function expectSaveLoadRoundTrip(model: bp.Sequential, x: bp.Tensor): Promise<bp.Sequential> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-transformer-'));
  // Saving warns (once per process) that TF.js cannot load these layers.
  const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
  try {
    await model.save(dir);
  } finally {
    warn.mockRestore();
  }
  const again = await bp.loadLayersModel(dir);
  expect(Array.from(again.predict(x).data)).toEqual(Array.from(model.predict(x).data));
  const names = (m: bp.Sequential) => m.getWeights().map((w) => `${w.name} ${w.shape.join('x')}`);
  expect(names(again)).toEqual(names(model));
  return again;
}

/** Token ids for a model whose first layer takes ids: [rows, steps] in [1, vocab), zeros after each length. */
export { tokenIds } from './sequences';
