/**
 * A real redis-server for a test file: on a free port of 127.0.0.1, in a temporary directory, with
 * append-only persistence, started and stopped by the test (no system service, no fixed port).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** Whether redis-server is installed (CI installs it; suites skip without it unless CI is set). */
export const hasRedis = spawnSync('redis-server', ['--version']).status === 0;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => {
        c.end();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`redis-server did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export class RedisServer {
  private proc?: ChildProcess;
  /** The TLS port, when started with a certificate. */
  tlsPort?: number;
  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly extra: string[],
  ) {}

  /**
   * Starts a server; `extra` are redis-server arguments such as ['--requirepass', 'secret']. With `tls`
   * (a self-signed certificate and its key, PEM files) it also serves TLS on a second free port.
   */
  static async start(extra: string[] = [], tls?: { cert: string; key: string }): Promise<RedisServer> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-redis-'));
    const args = [...extra];
    let tlsPort: number | undefined;
    if (tls) {
      tlsPort = await freePort();
      args.push('--tls-port', String(tlsPort), '--tls-cert-file', tls.cert, '--tls-key-file', tls.key);
      args.push('--tls-ca-cert-file', tls.cert, '--tls-auth-clients', 'no');
    }
    const server = new RedisServer(await freePort(), dir, args);
    server.tlsPort = tlsPort;
    await server.launch();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private async launch(): Promise<void> {
    this.proc = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
        '--daemonize',
        'no',
        '--logfile',
        path.join(this.dir, 'redis.log'),
        ...this.extra,
      ],
      { stdio: 'ignore' },
    );
    await waitForPort(this.port, 10_000);
  }

  /** Stops the server (SIGTERM: it flushes the append-only file) and waits for it to exit. */
  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
    });
  }

  /** Stops and starts again on the same port and directory (the data comes back from the append-only file). */
  async restart(downMs = 500): Promise<void> {
    await this.stop();
    await new Promise((r) => setTimeout(r, downMs));
    await this.launch();
  }

  /** Stops the server and deletes its directory. */
  async destroy(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
