/**
 * The queue's events stream (BullMQ's `<prefix>:<queue>:events`), read by the client itself. BullMQ's
 * QueueEvents parses every entry inside its read loop: one progress entry that was not JSON threw there,
 * ended the loop for good and was reported only as an 'error' — no event reached any client after it.
 * Here the loop only reads; each entry goes to `onEntry` as plain strings, and whatever that throws is
 * reported and the next entry read.
 */
import type IORedis from 'ioredis';

/** An entry's fields: event, jobId, data, returnvalue, failedReason, … (all strings). */
export type StreamEntry = Record<string, string>;

/** Entries read at once at most, and how long one read waits for new ones. */
const READ_COUNT = 100;
const BLOCK_MS = 5000;
/** Wait before reading again after a failed read (Redis restarting, a key of the wrong type). */
const RETRY_MS = 1000;

/** The id of the stream's last entry, '0-0' when it has none (or is not a stream), without reading it. */
const LAST_ID = `
if redis.call('TYPE', KEYS[1]).ok ~= 'stream' then return '0-0' end
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #last == 0 then return '0-0' end
return last[1][1]`;

export class EventStreamReader {
  private lastId = '0-0';
  private closed = false;
  private loop?: Promise<void>;
  private wake?: () => void;

  /**
   * @param redis a connection of the reader's own (reads block on it); close() disconnects it.
   * @param onEntry called for each entry in order; what it throws goes to `onError`, and reading goes on.
   * @param onError failed reads and entries `onEntry` refused.
   */
  constructor(
    private readonly redis: IORedis,
    private readonly key: string,
    private readonly onEntry: (entry: StreamEntry) => void,
    private readonly onError: (e: Error) => void,
  ) {}

  /** Starts after the stream's current last entry (every entry added once this resolves is read). */
  async start(): Promise<void> {
    this.lastId = (await this.redis.eval(LAST_ID, 1, this.key)) as string;
    this.loop ??= this.run();
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      let reply: [string, [string, string[]][]][] | null;
      try {
        reply = (await this.redis.xread('COUNT', READ_COUNT, 'BLOCK', BLOCK_MS, 'STREAMS', this.key, this.lastId)) as
          [string, [string, string[]][]][] | null;
      } catch (e) {
        if (this.closed) return;
        this.onError(e as Error);
        await new Promise<void>((r) => {
          this.wake = r;
          setTimeout(r, RETRY_MS).unref();
        });
        continue;
      }
      for (const [, entries] of reply ?? [])
        for (const [id, fields] of entries) {
          if (this.closed) return;
          this.lastId = id;
          try {
            this.onEntry(toEntry(fields));
          } catch (e) {
            this.onError(e as Error);
          }
        }
    }
  }

  /** Stops reading and disconnects. */
  async close(): Promise<void> {
    this.closed = true;
    this.redis.disconnect();
    this.wake?.();
    await this.loop;
  }
}

/** Field/value pairs as a record (built with fromEntries: a '__proto__' field is a field like any other). */
function toEntry(fields: unknown): StreamEntry {
  if (!Array.isArray(fields)) return {};
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < fields.length; i += 2)
    if (typeof fields[i] === 'string' && typeof fields[i + 1] === 'string') pairs.push([fields[i], fields[i + 1]]);
  return Object.fromEntries(pairs);
}
