import { randomBytes } from 'node:crypto';
import type { TaskEvents, TaskRecord, TaskSnapshot } from '@errand/core';
import { toSummary } from '../api/record-view.js';
import type { ResolvedOptions } from '../options.js';
import { StorePoller } from './store-poller.js';

/** Events kept for `Last-Event-ID` resume: a reconnect within this many changes misses nothing. */
const REPLAY_BUFFER = 2000;
/** Changes are written to clients in batches this often: one write per client per batch, not per change. */
const FLUSH_MS = 100;
export const HEARTBEAT_MS = 15_000;
/** A client this many batches behind (a stalled connection) is dropped rather than buffered without end. */
const MAX_QUEUED_CHUNKS = 600;

const STATE_EVENTS = [
  'enqueued',
  'started',
  'success',
  'failed',
  'retrying',
  'interrupted',
  'cancelled',
  'lost',
] as const satisfies ReadonlyArray<keyof TaskEvents>;

const encoder = new TextEncoder();

function newEpoch(): string {
  return randomBytes(6).toString('base64url');
}

interface Client {
  controller: ReadableStreamDefaultController<Uint8Array>;
}

/**
 * Fans task state changes out to every connected event-stream client.
 *
 * Each change is serialized once into a numbered SSE `task` event (`id:
 * <epoch>-<seq>`), kept in a replay buffer for `Last-Event-ID` resume, and
 * written to all clients in one batch per {@link FLUSH_MS}. It listens to
 * the manager only while a client is connected, and then also polls the
 * store for other instances' changes (shared backends only).
 */
export class EventHub {
  readonly #options: ResolvedOptions;
  /** Changes this process's ids: a resume id from another process (or a restart) asks for a reset. */
  #epoch = newEpoch();
  #seq = 0;
  readonly #buffer: Array<{ seq: number; text: string }> = [];
  readonly #clients = new Set<Client>();
  #batch: string[] = [];
  #flushTimer: NodeJS.Timeout | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  readonly #names = new Set<string>();
  readonly #poller: StorePoller;
  readonly #listeners = STATE_EVENTS.map((event) => {
    const listener = (task: TaskSnapshot) => this.publish(task as TaskRecord, 'local');
    return [event, listener] as const;
  });

  constructor(options: ResolvedOptions) {
    this.#options = options;
    this.#poller = new StorePoller(options, (record) => this.publish(record, 'store'));
  }

  /** Connected event-stream clients. */
  get clientCount(): number {
    return this.#clients.size;
  }

  /** Task names seen here or defined on the manager (what `q` matches names against). */
  knownNames(): Set<string> {
    for (const name of this.#options.manager.taskNames) this.#names.add(name);
    return this.#names;
  }

  /** Queues one `task` event for every client. */
  publish(record: TaskRecord, source: 'local' | 'store'): void {
    if (this.#clients.size === 0) return;
    this.#names.add(record.name);
    if (source === 'local') this.#poller.note(record);
    const seq = ++this.#seq;
    const data = JSON.stringify({ ...toSummary(record, this.#options), source });
    const text = `id: ${this.#epoch}-${seq}\nevent: task\ndata: ${data}\n\n`;
    this.#buffer.push({ seq, text });
    if (this.#buffer.length > REPLAY_BUFFER) this.#buffer.splice(0, this.#buffer.length - REPLAY_BUFFER);
    this.#batch.push(text);
    this.#flushTimer ??= setTimeout(() => this.#flush(), FLUSH_MS);
  }

  /**
   * A new event stream. With the id of the last event the client saw, it
   * replays what it missed, or sends `reset` (refetch everything) when that
   * event is no longer buffered or came from another process.
   */
  open(lastEventId: string | null): ReadableStream<Uint8Array> {
    let client: Client | null = null;
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        client = { controller };
        const intro = [`retry: 3000\n\nevent: hello\ndata: ${JSON.stringify({ now: Date.now() })}\n\n`];
        if (lastEventId) intro.push(...this.#replay(lastEventId));
        controller.enqueue(encoder.encode(intro.join('')));
        this.#add(client);
      },
      cancel: () => {
        if (client) this.#remove(client);
      },
    });
  }

  /** Ends every stream and stops listening (the dashboard is closing). */
  close(): void {
    for (const client of [...this.#clients]) {
      try {
        client.controller.close();
      } catch {
        // Already closed by the client going away.
      }
      this.#remove(client);
    }
  }

  #replay(lastEventId: string): string[] {
    const [epoch, seqText] = lastEventId.split('-');
    const seq = Number(seqText);
    const oldest = this.#buffer[0]?.seq ?? this.#seq + 1;
    if (epoch !== this.#epoch || !Number.isInteger(seq) || seq > this.#seq || seq < oldest - 1) {
      return [`event: reset\ndata: ${JSON.stringify({ reason: 'missed events; refetch' })}\n\n`];
    }
    return this.#buffer.filter((event) => event.seq > seq).map((event) => event.text);
  }

  #add(client: Client): void {
    const first = this.#clients.size === 0;
    this.#clients.add(client);
    if (!first) return;
    for (const [event, listener] of this.#listeners) this.#options.manager.on(event, listener);
    this.#heartbeat = setInterval(() => this.#beat(), HEARTBEAT_MS);
    this.#heartbeat.unref();
    this.#poller.start();
  }

  #remove(client: Client): void {
    if (!this.#clients.delete(client) || this.#clients.size > 0) return;
    for (const [event, listener] of this.#listeners) this.#options.manager.off(event, listener);
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    this.#poller.stop();
    // Changes made while nobody listened were never numbered: a later resume must refetch (reset).
    this.#epoch = newEpoch();
    this.#batch = [];
    this.#buffer.length = 0;
  }

  // A comment keeps proxies from closing an idle stream; the named event lets the page tell "stale".
  #beat(): void {
    this.#write(`: heartbeat\n\nevent: heartbeat\ndata: ${JSON.stringify({ now: Date.now() })}\n\n`);
  }

  #flush(): void {
    this.#flushTimer = null;
    const text = this.#batch.join('');
    this.#batch = [];
    if (text !== '') this.#write(text);
  }

  #write(text: string): void {
    const bytes = encoder.encode(text);
    for (const client of this.#clients) {
      const { controller } = client;
      if ((controller.desiredSize ?? 0) < -MAX_QUEUED_CHUNKS) {
        try {
          controller.error(new Error('event stream client too slow'));
        } catch {}
        this.#remove(client);
        continue;
      }
      try {
        controller.enqueue(bytes);
      } catch {
        this.#remove(client);
      }
    }
  }
}
