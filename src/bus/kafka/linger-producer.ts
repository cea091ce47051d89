// The bus's producer: an idempotent @platformatic/kafka producer (acks=all) behind a linger buffer.
//
// @platformatic/kafka sends one Produce request per send() call; it has no linger of its own. Kafka's
// batching (linger.ms) is rebuilt here: records of concurrent bus.send calls collect for up to
// `lingerMs` (or until a flush is due by size) and go out as one request, whose record batches hold one
// partition's records each. Flushes run one at a time and in order, so per-partition order is the order
// of the send calls; each send resolves when the flush holding its records was acknowledged by all
// in-sync replicas, and rejects (the whole flush) on failure.

import { type MessageToProduce, Producer } from '@platformatic/kafka';
import { toBusError } from './errors.ts';
import type { FastProduceInstall } from './produce-fast.ts';

type Message = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** One produce request stays well under the broker's default 1 MiB message.max.bytes per batch. */
const MAX_REQUEST_BYTES = 768 * 1024;
/** Largest timestamp delta within one record batch that the client encodes correctly (see flush). */
const MAX_TS_DELTA = 2n ** 31n - 1n;

export interface LingerProducerOptions {
  lingerMs: number;
  compression: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  /**
   * The producer's fast Produce encoder (installFastProduce), if installed: while it is the one in use,
   * timestamp deltas of any size are encoded right and flush no longer cuts requests for them.
   */
  fastProduce?: FastProduceInstall;
}

export class LingerProducer {
  private readonly producer: Producer<Buffer, Buffer, Buffer, Buffer>;
  private readonly lingerMs: number;
  private readonly compression: LingerProducerOptions['compression'];
  private readonly fastProduce: FastProduceInstall | undefined;
  private pending: Message[] = [];
  private pendingBytes = 0;
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(producer: Producer<Buffer, Buffer, Buffer, Buffer>, options: LingerProducerOptions) {
    this.producer = producer;
    this.lingerMs = options.lingerMs;
    this.compression = options.compression;
    this.fastProduce = options.fastProduce;
  }

  /** Queues already-built messages; resolves when they are acked. */
  send(messages: Message[], bytes: number): Promise<void> {
    for (const m of messages) this.pending.push(m);
    this.pendingBytes += bytes;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.flushing === undefined) {
      if (this.pendingBytes >= MAX_REQUEST_BYTES || this.lingerMs === 0) this.startFlush();
      else this.timer ??= setTimeout(() => this.startFlush(), this.lingerMs);
    }
    // Otherwise the running flush starts the next one when it ends: these records have waited already.
    return done;
  }

  /** Flushes what is queued and waits for every flush to end. */
  async drain(): Promise<void> {
    while (this.flushing !== undefined || this.pending.length > 0) {
      if (this.flushing === undefined) this.startFlush();
      await this.flushing?.catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.drain();
    await this.producer.close(true);
  }

  private startFlush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const messages = this.pending;
    const waiters = this.waiters;
    this.pending = [];
    this.pendingBytes = 0;
    this.waiters = [];
    this.flushing = this.flush(messages).then(
      () => {
        for (const w of waiters) w.resolve();
      },
      (e: unknown) => {
        const error = toBusError(e, 'kafka send');
        for (const w of waiters) w.reject(error);
      },
    );
    void this.flushing.finally(() => {
      this.flushing = undefined;
      if (this.pending.length > 0) this.startFlush();
    });
  }

  /**
   * Sends in requests of at most MAX_REQUEST_BYTES, one after the other (order within a partition).
   * A request is also cut before a record whose timestamp is more than 2^31-1 ms (~24 days) away from
   * the first timestamp of its partition in that request: @platformatic/kafka 2.12 writes the record's
   * timestamp delta with a zigzag/varint encoder that is only right for 32-bit values
   * (@platformatic/dynamic-buffer: `>> 31n` instead of `>> 63n`, a 32-bit continuation mask), so a larger
   * delta is stored wrong (the broker rejected one as INVALID_TIMESTAMP, another came back negative).
   * Records of one partition that far apart in one flush are rare (replays of old data), so this
   * almost never splits a request. Decoding is right, so records of other producers read correctly.
   * Not needed (nor done) while the producer encodes with produce-fast.ts, which writes any delta right.
   */
  private async flush(messages: Message[]): Promise<void> {
    const checkDeltas = this.fastProduce?.active !== true;
    const firstTs = new Map<string, bigint>();
    let from = 0;
    while (from < messages.length) {
      let to = from;
      let bytes = 0;
      firstTs.clear();
      while (to < messages.length && bytes < MAX_REQUEST_BYTES) {
        const m = messages[to]!;
        if (checkDeltas) {
          const key = `${m.partition}:${m.topic}`;
          const ts = m.timestamp!;
          const first = firstTs.get(key);
          if (first === undefined) firstTs.set(key, ts);
          else if (ts - first > MAX_TS_DELTA || first - ts > MAX_TS_DELTA) break;
        }
        bytes += (m.value?.length ?? 0) + (m.key?.length ?? 0) + 32;
        to++;
      }
      await this.producer.send({
        messages: from === 0 && to === messages.length ? messages : messages.slice(from, to),
        compression: this.compression,
      });
      from = to;
    }
  }
}

export { Producer };
