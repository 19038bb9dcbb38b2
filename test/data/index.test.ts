/** The public `bp.data` namespace exposes every data utility (the suites beside this one test each module). */
import * as bp from '../../src';
import { loadCsv, parseCsv } from '../../src/data/csv';
import { readIdx, writeIdx, encodeIdx, loadIdx } from '../../src/data/idx';
import { oneHot, standardScaler, minMaxScaler, Scaler, trainTestSplit, shuffle } from '../../src/data/preprocess';
import { xor, digits } from '../../src/data/datasets';
import { tensor2d, toMatrix } from '../../src/data/tensor';

test('bp.data re-exports the data modules', () => {
  expect(bp.data).toMatchObject({
    loadCsv,
    parseCsv,
    readIdx,
    writeIdx,
    encodeIdx,
    loadIdx,
    oneHot,
    standardScaler,
    minMaxScaler,
    Scaler,
    trainTestSplit,
    shuffle,
    xor,
    digits,
    tensor2d,
    toMatrix,
  });
  expect(bp.tensor2d).toBe(tensor2d);
});
