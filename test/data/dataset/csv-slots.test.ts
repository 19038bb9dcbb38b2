/**
 * The batch-slot ring between a data thread and the main thread: batches arrive in order with their row
 * counts, and a row count in shared memory that another thread corrupted is refused, not used to size views.
 */
import { SlotReader, SlotWriter, slotLayout } from '../../../src/data/dataset/csv-slots';

describe('batch slots', () => {
  test('rows published in order, the last batch partial; a corrupt row count is refused', async () => {
    const layout = slotLayout(2, 3, 2, 'float32', 1, 'int32');
    const writer = new SlotWriter(layout);
    const reader = new SlotReader(layout);
    const y = Int32Array.of(1);
    for (let r = 0; r < 4; r++) writer.put(Float32Array.of(r, -r), 0, y, 0, r / 4);
    writer.finish(1, true);
    const a = await reader.take();
    if (typeof a === 'string') throw new Error(a);
    expect([a.rows, Array.from(a.x), Array.from(a.y!)]).toEqual([3, [0, -0, 1, -1, 2, -2], [1, 1, 1]]);
    // The second batch (1 row, slot 1): its count overwritten as a broken or hostile thread could.
    const ctrl = new Int32Array(layout.ctrl);
    ctrl[ctrl.length - 1] = 1000;
    await expect(reader.take()).rejects.toThrow(/batch slot 1 says it holds 1000 rows, not 1 to 3/);
    ctrl[ctrl.length - 1] = 1;
    const b = await reader.take();
    if (typeof b === 'string') throw new Error(b);
    expect([b.rows, Array.from(b.x)]).toEqual([1, [3, -3]]);
    expect(await reader.take()).toBe('ended');
  });
});
