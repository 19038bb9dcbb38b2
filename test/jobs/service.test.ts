/**
 * The example training service, driven over real HTTP on 127.0.0.1: submit a job with a CSV, follow its
 * progress over server-sent events, cancel another, and get predictions from the finished model.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';

const EXAMPLE = path.resolve(__dirname, '../../examples/training-service.js');
const hasDist = fs.existsSync(path.resolve(__dirname, '../../dist/index.js'));

function request(
  port: number,
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path: url, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
}

function events(port: number, url: string): Promise<{ event: string; data: Record<string, unknown> }[]> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: url }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () =>
          resolve(
            text
              .trim()
              .split('\n\n')
              .map((block) => {
                const event = /^event: (.*)$/m.exec(block)![1];
                return { event, data: JSON.parse(/^data: (.*)$/m.exec(block)![1]) };
              }),
          ),
        );
      })
      .on('error', reject);
  });
}

function csv(rows: number): string {
  const lines = ['a,b,label'];
  for (let i = 0; i < rows; i++) {
    const a = Math.sin(i * 1.3),
      b = Math.cos(i * 0.7);
    lines.push(`${a.toFixed(4)},${b.toFixed(4)},${a + b > 0 ? 'yes' : 'no'}`);
  }
  return lines.join('\n');
}

(hasDist ? test : test.skip)(
  'the training service trains, streams progress, cancels and predicts over HTTP',
  async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createService } = require(EXAMPLE);
    const { server } = createService({ poolSize: 2 });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const model = {
        seed: 1,
        layers: [
          { units: 16, activation: 'tanh', inputShape: [2] },
          { units: 2, activation: 'softmax' },
        ],
        compile: {
          optimizer: { name: 'adam', learningRate: 0.02 },
          loss: 'sparseCategoricalCrossentropy',
          metrics: ['accuracy'],
        },
      };
      const created = await request(port, 'POST', '/jobs', {
        model,
        csv: csv(400),
        target: 'label',
        fit: { epochs: 30, batchSize: 16 },
      });
      expect(created.status).toBe(201);
      const id = created.json.id as string;
      const long = await request(port, 'POST', '/jobs', {
        model,
        csv: csv(2000),
        target: 'label',
        fit: { epochs: 500, batchSize: 4 },
      });

      const stream = await events(port, `/jobs/${id}/events`);
      expect(stream.some((e) => e.event === 'progress')).toBe(true);
      expect(stream.at(-1)).toEqual({ event: 'status', data: { status: 'completed', error: null } });

      const status = await request(port, 'GET', `/jobs/${id}`);
      expect(status.json.status).toBe('completed');
      expect((status.json.final as Record<string, number>).accuracy).toBeGreaterThan(0.9);

      const pred = await request(port, 'POST', `/jobs/${id}/predict`, {
        rows: [
          [0.9, 0.9],
          [-0.9, -0.9],
        ],
      });
      expect(pred.status).toBe(200);
      expect(pred.json.classes).toEqual(['no', 'yes']);
      const p = pred.json.predictions as number[][];
      expect(p[0][1]).toBeGreaterThan(0.5); // a + b > 0 → 'yes'
      expect(p[1][0]).toBeGreaterThan(0.5);

      const cancel = await request(port, 'DELETE', `/jobs/${long.json.id}`);
      expect(cancel.status).toBe(202);
      const cancelled = await events(port, `/jobs/${long.json.id}/events`);
      expect(JSON.stringify(cancelled.at(-1)!.data)).toContain('"status":"cancelled"');

      expect((await request(port, 'POST', '/jobs', { csv: 'a\n1' })).status).toBe(400);
      expect((await request(port, 'GET', '/jobs/nope')).status).toBe(404);
    } finally {
      await new Promise((r) => server.close(r));
    }
  },
  120000,
);
