/** A small HTTP client for the service tests: JSON requests, raw uploads, server-sent events, timing. */
import * as fs from 'node:fs';
import * as http from 'node:http';

export interface Reply {
  status: number;
  json: Record<string, unknown>;
  text: string;
  headers: http.IncomingHttpHeaders;
  ms: number;
}

/**
 * One request to 127.0.0.1:port. `body` is sent as JSON unless it is a string, Buffer or file stream;
 * `chunked` leaves out content-length. Write errors after the reply (a server closing an over-limit
 * upload) are ignored: the reply is what is tested.
 */
export function request(
  port: number,
  method: string,
  url: string,
  body?: unknown,
  { type = 'application/json', chunked = false }: { type?: string; chunked?: boolean } = {},
): Promise<Reply> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    let replied = false;
    const payload =
      body === undefined || body instanceof fs.ReadStream
        ? undefined
        : Buffer.isBuffer(body)
          ? body
          : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const headers: http.OutgoingHttpHeaders = { 'content-type': type };
    if (payload && !chunked) headers['content-length'] = payload.length;
    const req = http.request({ host: '127.0.0.1', port, method, path: url, headers }, (res) => {
      replied = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        let json: Record<string, unknown> = {};
        try {
          json = text ? JSON.parse(text) : {};
        } catch {
          // not JSON (server events): the text is there
        }
        resolve({ status: res.statusCode!, json, text, headers: res.headers, ms: performance.now() - t0 });
      });
    });
    req.on('error', (e) => (replied ? undefined : reject(e)));
    if (body instanceof fs.ReadStream) body.pipe(req);
    else if (payload && chunked) {
      // Several writes, so the server sees a chunked body arrive in pieces.
      for (let i = 0; i < payload.length; i += 1024) req.write(payload.subarray(i, i + 1024));
      req.end();
    } else req.end(payload);
  });
}

/** The events of a server-sent events stream, read to its end (comment lines, the server's heartbeat, skipped). */
export async function events(port: number, url: string): Promise<{ event: string; data: Record<string, unknown> }[]> {
  const r = await request(port, 'GET', url);
  return r.text
    .trim()
    .split('\n\n')
    .filter((block) => !block.startsWith(':'))
    .map((block) => ({
      event: /^event: (.*)$/m.exec(block)![1],
      data: JSON.parse(/^data: (.*)$/m.exec(block)![1]),
    }));
}

/** Polls `check` every `everyMs` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function until<T>(check: () => Promise<T | undefined>, timeoutMs: number, everyMs = 50): Promise<T> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (performance.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A classification CSV: two numeric columns and a yes/no label. */
export function csv(rows: number): string {
  const lines = ['a,b,label'];
  for (let i = 0; i < rows; i++) {
    const a = Math.sin(i * 1.3),
      b = Math.cos(i * 0.7);
    lines.push(`${a.toFixed(4)},${b.toFixed(4)},${a + b > 0 ? 'yes' : 'no'}`);
  }
  return lines.join('\n');
}

/** A model spec for csv(): 2 inputs, 2 classes. */
export const model = {
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
