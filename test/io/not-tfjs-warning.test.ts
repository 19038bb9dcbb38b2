/**
 * Saving a model with layers TF.js does not have (KerasNLP's transformer layers) warns once per process (its own
 * file: the warning's once-flag is per module instance).
 */
import * as bp from '../../src';

describe('saving a model TF.js cannot load', () => {
  test('warns once per process, naming the layers', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const model = bp.sequential({
        layers: [
          bp.layers.tokenAndPositionEmbedding({
            vocabularySize: 5,
            sequenceLength: 3,
            embeddingDim: 4,
            inputShape: [3],
          }),
          bp.layers.transformerEncoder({ intermediateDim: 4, numHeads: 2 }),
        ],
      });
      await model.save(fs.mkdtempSync(`${os.tmpdir()}/bp-enc-`));
      await model.save(fs.mkdtempSync(`${os.tmpdir()}/bp-enc-`));
      const ours = warn.mock.calls.filter((c) => String(c[0]).includes('TF.js does not have'));
      expect(ours).toHaveLength(1);
      expect(String(ours[0][0])).toMatch(/TokenAndPositionEmbedding, TransformerEncoder layers/);
    } finally {
      warn.mockRestore();
    }
  });
});
