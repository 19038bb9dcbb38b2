/** CPU lists (src/distributed/cpus.ts): Linux's notation both ways, and how launch shares CPUs among ranks. */
import { allowedCpus, cpuBlocks, formatCpuList, parseCpuList } from '../../src/distributed/cpus';

describe('CPU lists', () => {
  test.each([
    ['0', [0]],
    ['0-3', [0, 1, 2, 3]],
    ['0-3,8,10-11', [0, 1, 2, 3, 8, 10, 11]],
    [' 2,0-1 ', [0, 1, 2]],
    ['1,1,0-1', [0, 1]],
  ])('%j parses and formats back in order', (text, cpus) => {
    expect(parseCpuList(text, 'X')).toEqual(cpus);
    expect(parseCpuList(formatCpuList(cpus), 'X')).toEqual(cpus);
  });

  test.each(['', 'all', '-1', '3-1', '0-1024', '1024', '0,,1', '0-', '1e3', '0x1', '9'.repeat(9000)])(
    '%j is refused, naming the variable and the form',
    (text) => {
      expect(() => parseCpuList(text, 'BACKPROP_CPUS')).toThrow(/BACKPROP_CPUS must be a CPU list such as 0-3,8/);
    },
  );

  test('formatCpuList writes runs as ranges', () => {
    expect(formatCpuList([0, 1, 2, 3, 8, 10, 11])).toBe('0-3,8,10-11');
    expect(formatCpuList([5])).toBe('5');
  });

  test('cpuBlocks: equal consecutive blocks of at least `threads` CPUs, or none when they do not go round', () => {
    expect(cpuBlocks(2, 1, [0, 1])).toEqual(['0', '1']);
    expect(cpuBlocks(2, 1, [0, 1, 2, 3, 4])).toEqual(['0-1', '2-3']);
    expect(cpuBlocks(2, 2, [0, 1, 2, 3])).toEqual(['0-1', '2-3']);
    expect(cpuBlocks(3, 1, [4, 5, 6, 9])).toEqual(['4', '5', '6']);
    expect(cpuBlocks(1, 1, [0, 1])).toEqual(['0-1']);
    expect(cpuBlocks(3, 1, [0, 1])).toBeUndefined();
    expect(cpuBlocks(2, 2, [0, 1, 2])).toBeUndefined();
    expect(cpuBlocks(2, 1, [0, 1, 2, 3, 4], 1)).toEqual(['0', '1']);
    expect(cpuBlocks(1, 1, [0, 1], 1)).toEqual(['0']);
    expect(cpuBlocks(2, 1, [0, 1, 2], 2)).toBeUndefined();
    expect(cpuBlocks(1, 2, [0, 1], 1)).toBeUndefined();
  });

  test('allowedCpus: this process may run on them, and there is at least one', () => {
    const cpus = allowedCpus();
    expect(cpus.length).toBeGreaterThanOrEqual(1);
    expect(cpus).toEqual([...cpus].sort((a, b) => a - b));
  });
});
