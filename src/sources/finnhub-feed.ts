// Live feed in the Finnhub WebSocket shape: connect, subscribe to symbols, turn messages into trades.
//
// A live feed cannot be slowed down (the server pushes), so the queue between the socket and the
// consumer is bounded: when the consumer falls behind by more than `maxQueuedMessages`, new messages
// are dropped and counted in the next batch's `dropped`, never buffered without limit and never silently.
// Disconnects reconnect with exponential backoff; the backoff resets once a connection delivers a message
// (a server that accepts and at once closes does not make us spin).
// Finnhub trades carry no sequence number: seq is this adapter's own counter, increasing across
// reconnects, so (symbol, time, seq) stays unique within a run.
// Like every async generator it is lazy: it reads and reconnects only while the consumer awaits next().

import { parseFinnhub } from '../domain/finnhub.ts';
import type { DeadletterReason, Trade } from '../domain/types.ts';
import type { Universe } from '../domain/universe.ts';
import { validateTrade } from '../domain/validate.ts';
import { type Clock, systemClock } from './pacing.ts';

export interface FeedReject {
  /** The message text (cut to 1024 characters) the rejected item came from. */
  raw: string;
  /** That message's number in this feed (1-based, across reconnects): where it came from. */
  message: number;
  reason: DeadletterReason;
  detail: string;
}

export interface FeedBatch {
  trades: Trade[];
  rejects: FeedReject[];
  /** Messages dropped since the previous batch because the consumer fell behind. */
  dropped: number;
}

export type FeedStatus =
  | { state: 'connecting'; attempt: number }
  | { state: 'open' }
  | { state: 'closed'; code?: number; reason?: string; retryInMs: number };

/** The part of the WHATWG WebSocket this adapter uses, so tests or other clients can stand in. */
export interface WebSocketLike {
  binaryType: string;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code?: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface FinnhubFeedOptions {
  /** e.g. wss://ws.finnhub.io?token=… (the token is part of the URL, as Finnhub expects). */
  url: string;
  symbols: readonly string[];
  signal?: AbortSignal;
  /** First reconnect delay (default 500 ms), doubled per failed attempt up to maxBackoffMs (default 30 s). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Default 10,000 messages. */
  maxQueuedMessages?: number;
  /** Messages folded into one batch at most (default 100). */
  maxMessagesPerBatch?: number;
  /** When given, trades for other symbols are rejected as unknown_symbol. */
  universe?: Universe;
  onStatus?: (s: FeedStatus) => void;
  /**
   * The first trade's seq (default 1). A process that starts again should pass a value above any seq
   * it used before (e.g. its start time × 1000): the processors take a repeated (symbol, seq) for a copy.
   */
  firstSeq?: number;
  /** Default: the global WebSocket (Node 24). */
  connect?: (url: string) => WebSocketLike;
  clock?: Clock;
}

const RAW_LIMIT = 1024;

/** Delay before reconnect attempt `attempt` (0-based): initial × 2^attempt, capped. */
export const backoffDelay = (attempt: number, initialMs: number, maxMs: number): number =>
  Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));

const textOf = (data: unknown): string | undefined => {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
  if (ArrayBuffer.isView(data)) return new TextDecoder().decode(data);
  return undefined;
};

export async function* finnhubFeed(opts: FinnhubFeedOptions): AsyncGenerator<FeedBatch> {
  const signal = opts.signal;
  const clock = opts.clock ?? systemClock;
  const initial = opts.initialBackoffMs ?? 500;
  const maxBackoff = opts.maxBackoffMs ?? 30_000;
  const maxQueued = opts.maxQueuedMessages ?? 10_000;
  const perBatch = opts.maxMessagesPerBatch ?? 100;
  const connect = opts.connect ?? ((url: string) => new WebSocket(url) as unknown as WebSocketLike);

  const queue: unknown[] = [];
  let dropped = 0;
  let closed = true;
  let attempt = 0;
  let seq = (opts.firstSeq ?? 1) - 1;
  let messages = 0;
  let ws: WebSocketLike | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onAbort = (): void => {
    ws?.close(1000, 'aborted');
    notify();
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  const start = (): void => {
    opts.onStatus?.({ state: 'connecting', attempt });
    closed = false;
    const sock = connect(opts.url);
    ws = sock;
    sock.binaryType = 'arraybuffer';
    sock.onopen = () => {
      opts.onStatus?.({ state: 'open' });
      for (const symbol of opts.symbols) sock.send(JSON.stringify({ type: 'subscribe', symbol }));
    };
    sock.onmessage = (ev) => {
      attempt = 0; // this connection works: the next failure starts the backoff afresh
      if (queue.length >= maxQueued) dropped++;
      else queue.push(ev.data);
      notify();
    };
    sock.onerror = () => {
      // An error is always followed by close; the reconnect is decided there.
    };
    sock.onclose = (ev) => {
      if (ws !== sock) return;
      closed = true;
      opts.onStatus?.({
        state: 'closed',
        code: ev.code,
        reason: ev.reason,
        retryInMs: backoffDelay(attempt, initial, maxBackoff),
      });
      notify();
    };
  };

  try {
    while (!(signal?.aborted ?? false)) {
      if (queue.length > 0 || dropped > 0) {
        const batch: FeedBatch = { trades: [], rejects: [], dropped };
        dropped = 0;
        const n = Math.min(perBatch, queue.length);
        for (let i = 0; i < n; i++) {
          const data = queue[i];
          const message = ++messages;
          const text = textOf(data);
          if (text === undefined) {
            batch.rejects.push({
              raw: '',
              message,
              reason: 'decode_error',
              detail: 'binary message of unknown type',
            });
            continue;
          }
          const parsed = parseFinnhub(text);
          const raw = text.length > RAW_LIMIT ? text.slice(0, RAW_LIMIT) : text;
          for (const r of parsed.rejected)
            batch.rejects.push({ raw, message, reason: r.reason, detail: r.detail });
          for (const t of parsed.trades) {
            const v = opts.universe === undefined ? undefined : validateTrade(t, opts.universe);
            if (v !== undefined && !v.ok) {
              batch.rejects.push({ raw, message, reason: v.reason, detail: v.detail });
              continue;
            }
            t.seq = ++seq;
            batch.trades.push(t);
          }
        }
        queue.splice(0, n);
        yield batch;
        continue;
      }
      if (closed) {
        if (ws !== undefined) {
          await clock.sleep(backoffDelay(attempt, initial, maxBackoff), signal);
          attempt++;
          if (signal?.aborted ?? false) break;
        }
        start();
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (ws !== undefined && !closed) ws.close(1000, 'done');
  }
}
