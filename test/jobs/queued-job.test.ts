/**
 * A queued job's end may be reported twice at once (the events stream and the poll behind it): the model is
 * loaded once, and the second report cannot turn a completed job into a failed one. Before, each report loaded
 * the model from the store; under load the second load ran after a link had been swapped in, and failed the job.
 */
import { QueuedJob } from '../../src/jobs/queued-job';
import type { QueuedJobReturn } from '../../src/jobs/queue-protocol';

const ret: QueuedJobReturn = {
  started: true,
  cancelled: false,
  modelPath: 'models/a',
  history: { loss: [0.5] },
  epochs: [0],
  resumedFrom: 0,
  batchesDone: 1,
  worker: 'host:1',
};

test('two end reports in flight load the model once; the result is the first load', async () => {
  let loads = 0;
  const job = new QueuedJob('a', {
    cancel: async () => {},
    loadModel: async () => {
      loads++;
      await new Promise((r) => setTimeout(r, 20));
      // What a second load would see: the store entry swapped for a link after the first one's check.
      if (loads > 1) throw new Error("modelPath 'models/a' is or passes through a symbolic link");
      return undefined;
    },
  });
  await Promise.all([job.complete(ret), job.complete(ret)]);
  expect(loads).toBe(1);
  await expect(job.result).resolves.toMatchObject({ cancelled: false, modelPath: 'models/a' });
  expect(job.status).toBe('completed');
});
