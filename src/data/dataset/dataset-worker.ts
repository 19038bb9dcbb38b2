/**
 * The entry point of dataset worker threads (worker-pool.ts starts them): each message gives the thread a
 * role for one pass — a CSV loader or parser, or an image decoder — and the thread serves it.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { runLoader, type CsvPassConfig } from './csv-loader-worker';
import { serveParser } from './csv-parser-worker';
import { serveImages, type ImageJob } from './image-worker';

type Role =
  | { type: 'csv-loader'; config: CsvPassConfig; ports: MessagePort[] }
  | { type: 'csv-parser'; port: MessagePort }
  | ImageJob;

if (parentPort && workerData?.backpropDatasetWorker) {
  const post = (m: unknown) => parentPort!.postMessage(m);
  parentPort.on('message', (m: Role) => {
    if (m.type === 'csv-loader') void runLoader(m.config, m.ports, post);
    else if (m.type === 'csv-parser') serveParser(m.port);
    else if (m.type === 'image-batch') serveImages(m, post);
  });
}
