/**
 * The example service under denial-of-service attempts, as a separate process (as users run it). Attackers
 * connect from other loopback addresses (127.0.0.2, …), the legitimate client from 127.0.0.1:
 * - 300 silent connections from one address: beyond maxConnectionsPerClient they are refused at once, the
 *   rest closed after idleSeconds; other clients are served throughout. (Before: the first 256 locked
 *   every other client out, and were never dropped.)
 * - 312 silent connections from 39 addresses fill maxConnections: all are closed after idleSeconds, and
 *   the legitimate client is served again. A request whose headers trickle in gets 408 after headersSeconds.
 * - Uploads trickled in a byte at a time hold no stored-upload slot, at most maxUploadsPerClient upload
 *   slots of their own, and are dropped (408) once they arrive slower than minBodyBytesPerSecond; real
 *   uploads go through meanwhile. (Before: two such uploads held every upload slot for up to 300 s.)
 * Timeouts are set short (seconds) so that the test is quick; the defaults are the same mechanisms.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { csv, request, until } from '../jobs/service-client';

const EXAMPLE = path.resolve(__dirname, '../../examples/training-service.js');
const ready = fs.existsSync(path.resolve(__dirname, '../../dist/index.js')) && process.platform === 'linux';
const maybe = ready ? describe : describe.skip; // other loopback addresses (127.0.0.2, …) are Linux's

/** Starts the service script with `flags`; resolves with its port once it listens. */
async function startService(dir: string, flags: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [EXAMPLE, '--port=0', `--data-dir=${dir}`, ...flags], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(c.toString());
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`the service exited (${code})`)));
  });
  return { child, port };
}

/** A raw connection from `from`: what it received, and whether (and when) the server closed it. */
interface Raw {
  socket: net.Socket;
  data: string;
  closedAt?: number;
  closed: Promise<void>;
}
function connect(port: number, from: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: from });
    const raw = { socket, data: '' } as Raw;
    raw.closed = new Promise((r) =>
      socket.once('close', () => {
        raw.closedAt = performance.now();
        r();
      }),
    );
    socket.setEncoding('utf8').on('data', (c: string) => (raw.data += c));
    socket.on('error', () => {});
    socket.once('connect', () => resolve(raw));
    socket.once('error', reject);
  });
}

/** A GET from 127.0.0.1 that fails (instead of hanging) if not answered within `ms`. */
function get(port: number, url: string, ms = 3000): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: url, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.setTimeout(ms, () => req.destroy(new Error(`no answer within ${ms} ms`)));
    req.on('error', reject);
  });
}

/**
 * An upload from `from` that sends its headers, then one byte every `everyMs` until the server answers or
 * closes. Resolves with the status line the server sent ('' if none) when the connection closes.
 */
function trickleUpload(port: number, from: string, everyMs: number): { started: Promise<void>; done: Promise<string> } {
  let timer: NodeJS.Timeout | undefined;
  const conn = connect(port, from);
  const started = conn.then((raw) => {
    raw.socket.write(
      `POST /datasets HTTP/1.1\r\nhost: x\r\ncontent-type: text/csv\r\ncontent-length: 1000000\r\n\r\na,label\n`,
    );
    timer = setInterval(() => raw.socket.write('1'), everyMs);
  });
  const done = conn.then(async (raw) => {
    await raw.closed;
    clearInterval(timer);
    return raw.data.split('\r\n')[0];
  });
  return { started, done };
}

maybe('the example service under denial-of-service attempts', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-service-dos-'));
  const children: ChildProcess[] = [];
  const sockets: net.Socket[] = [];
  afterAll(() => {
    for (const s of sockets) s.destroy();
    for (const c of children) c.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('idle connections: refused past the per-address limit, closed after idleSeconds; others are served', async () => {
    const { child, port } = await startService(path.join(tmp, 'idle'), ['--idle-seconds=3', '--headers-seconds=2']);
    children.push(child);
    try {
      // One address, 300 connections that never send a byte.
      const one: Raw[] = [];
      for (let i = 0; i < 300; i++) one.push(await connect(port, '127.0.0.2'));
      sockets.push(...one.map((r) => r.socket));
      const t0 = performance.now();
      expect(await get(port, '/jobs/none')).toBe(404); // served while they are open
      await until(
        async () => (one.filter((r) => r.closedAt !== undefined).length >= 300 - 32 ? true : undefined),
        5000,
      );
      const refused = one.filter((r) => r.data.startsWith('HTTP/1.1 429'));
      expect(refused.length).toBe(300 - 32);
      expect(refused[0].data).toContain('"error":"32 connections from your address are open, the limit"');
      await Promise.all(one.map((r) => r.closed)); // the 32 kept: closed by the idle timeout
      expect(one.filter((r) => r.data.startsWith('HTTP/1.1 408 Request Timeout\r\n'))).toHaveLength(32);
      const slowest = Math.max(...one.map((r) => r.closedAt! - t0));
      console.log(
        `300 silent connections from one address: 268 refused at once, 32 closed after ${slowest.toFixed(0)} ms`,
      );

      // 39 addresses × 8 silent connections: more than maxConnections (256) in all.
      const many: Raw[] = [];
      for (let a = 3; a < 42; a++) for (let i = 0; i < 8; i++) many.push(await connect(port, `127.0.0.${a}`));
      sockets.push(...many.map((r) => r.socket));
      const t1 = performance.now();
      await Promise.all(many.map((r) => r.closed));
      const allClosed = performance.now() - t1;
      expect(await get(port, '/jobs/none')).toBe(404); // served again
      console.log(`312 silent connections from 39 addresses: all closed within ${allClosed.toFixed(0)} ms`);

      // Headers that trickle in: 408 after headersSeconds, though the connection is never idle.
      const slow = await connect(port, '127.0.0.50');
      sockets.push(slow.socket);
      slow.socket.write('GET /jobs/none HTTP/1.1\r\nhost: x\r\nx-slow: ');
      const drip = setInterval(() => slow.socket.write('a'), 200);
      const t2 = performance.now();
      await slow.closed;
      clearInterval(drip);
      expect(slow.data.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
      console.log(`headers sent a byte per 200 ms: 408 after ${(performance.now() - t2).toFixed(0)} ms`);
    } finally {
      child.kill('SIGTERM');
    }
  }, 90_000);

  test('trickled uploads hold no stored-upload slot and are dropped; real uploads go through', async () => {
    const dir = path.join(tmp, 'uploads');
    const { child, port } = await startService(dir, ['--max-datasets=2', '--min-body-bytes-per-second=1024']);
    children.push(child);
    try {
      // Two uploads from one address, a byte every 200 ms: the per-address limit of uploads in progress.
      const slow = [trickleUpload(port, '127.0.0.2', 200), trickleUpload(port, '127.0.0.2', 200)];
      await Promise.all(slow.map((s) => s.started));
      await until(async () => (fs.readdirSync(dir).length === 1 ? true : undefined), 5000);
      const serviceDir = path.join(dir, fs.readdirSync(dir)[0]);
      await until(async () => (fs.readdirSync(serviceDir).length === 2 ? true : undefined), 5000);
      const third = trickleUpload(port, '127.0.0.2', 200);
      expect(await third.done).toBe('HTTP/1.1 429 Too Many Requests');

      // Meanwhile, real uploads from another address: both stored-upload slots are free for them.
      const a = await request(port, 'POST', '/datasets', csv(100), { type: 'text/csv' });
      const b = await request(port, 'POST', '/datasets', csv(100), { type: 'text/csv' });
      expect([a.status, b.status]).toEqual([201, 201]);
      const c = await request(port, 'POST', '/datasets', csv(100), { type: 'text/csv' });
      expect([c.status, c.json.error]).toEqual([
        429,
        '2 uploads are stored, the limit; delete one or wait for retention',
      ]);

      // A JSON body trickled in the same way.
      const job = connect(port, '127.0.0.3').then(async (raw) => {
        sockets.push(raw.socket);
        raw.socket.write(
          'POST /jobs HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n{',
        );
        const drip = setInterval(() => raw.socket.write(' '), 200);
        await raw.closed;
        clearInterval(drip);
        return raw.data;
      });

      const t0 = performance.now();
      const ends = await Promise.all(slow.map((s) => s.done));
      expect(ends).toEqual(['HTTP/1.1 408 Request Timeout', 'HTTP/1.1 408 Request Timeout']);
      const reply = await job;
      expect(reply.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
      expect(reply).toMatch(/"error":"the request body arrives at \d+ bytes\/s, below the 1024 this server needs"/);
      console.log(`uploads at 5 bytes/s: dropped with 408 after ${(performance.now() - t0).toFixed(0)} ms`);
      // Nothing of theirs is left: the two real uploads only.
      expect(fs.readdirSync(serviceDir).sort()).toEqual([`${a.json.id}.csv`, `${b.json.id}.csv`].sort());
    } finally {
      child.kill('SIGTERM');
    }
  }, 90_000);
});
