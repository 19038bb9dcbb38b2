/**
 * When summing gradients while backward runs pays (overlapPays): a pure decision from where the ranks run.
 */
import { overlapPays } from '../../src/distributed/placement';

describe('overlapPays(here, worldSize, cores, allowed, threads)', () => {
  test.each([
    // Some rank on another machine: the sum takes wire time, which overlap hides.
    [1, 2, 2, 2, 1, true],
    [2, 4, 2, 1, 1, true],
    // All ranks here, one CPU each and one BLAS thread: the communication thread would take backward's core.
    [2, 2, 2, 1, 1, false],
    [2, 2, 2, 2, 1, false], // unbound: both ranks may use both CPUs, but they share them
    [3, 3, 2, 2, 1, false],
    // A spare CPU per rank beyond its BLAS threads.
    [2, 2, 16, 8, 1, true],
    [2, 2, 16, 8, 8, false],
    [2, 2, 16, 1, 1, false], // bound to one CPU of many
    [1, 1, 4, 4, 2, true],
  ])('here %i of %i, %i cores, %i allowed, %i threads: %s', (here, world, cores, allowed, threads, pays) => {
    expect(overlapPays(here, world, cores, allowed, threads)).toBe(pays);
  });
});
