// One partition of an in-process topic: an append-only log with Kafka-style offsets and retention.
//
// Records are kept in fixed-size chunks (like Kafka's log segments) in columnar form: keys in a string
// array, timestamps in a Float64Array, and all value bytes copied into one byte arena per chunk with a
// Uint32Array of end positions. A million small records cost their bytes plus ~20 bytes each, instead of
// a million objects plus a million Uint8Arrays. Values are copied on append (a producer may reuse its
// buffer once `send` resolves) and handed out as read-only views (`subarray`) into the arena.
//
// Retention drops whole chunks from the front, oldest first, while the records or the value bytes kept
// exceed their limit by at least that chunk; the log start offset advances accordingly. Kafka deletes
// whole segments the same way, so it too keeps up to one segment more than the limit.

import type { BusRecord } from '../port.ts';

export interface RetentionLimits {
  /** Records kept per partition (at most this plus one chunk). */
  records: number;
  /** Value bytes kept per partition (at most this plus one chunk). */
  bytes: number;
}

class Chunk {
  readonly base: number;
  count = 0;
  readonly keys: string[];
  readonly timestamps: Float64Array;
  /** ends[i] is the end of record i's value in `bytes`; record i starts at ends[i - 1] (or 0). */
  readonly ends: Uint32Array;
  bytes: Uint8Array;
  used = 0;

  constructor(base: number, capacity: number, initialBytes: number) {
    this.base = base;
    this.keys = new Array<string>(capacity);
    this.timestamps = new Float64Array(capacity);
    this.ends = new Uint32Array(capacity);
    this.bytes = new Uint8Array(initialBytes);
  }

  /** Makes room for `n` more value bytes; views handed out earlier keep the old arena, which is never written again. */
  reserve(n: number): void {
    const need = this.used + n;
    if (need <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < need) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.used));
    this.bytes = grown;
  }
}

export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  private readonly chunkSize: number;
  private readonly retention: RetentionLimits;
  private readonly chunks: Chunk[] = [];
  /** Index of the first live chunk in `chunks` (dropped ones are spliced out in bulk). */
  private head = 0;
  private endOffset = 0;
  private retainedRecords = 0;
  private retainedBytes = 0;

  constructor(topic: string, partition: number, chunkSize: number, retention: RetentionLimits) {
    this.topic = topic;
    this.partition = partition;
    this.chunkSize = chunkSize;
    this.retention = retention;
  }

  /** Offset of the oldest retained record (the log start offset). */
  get start(): number {
    const first = this.chunks[this.head];
    return first === undefined ? this.endOffset : first.base;
  }

  /** The offset the next appended record will get (the log end offset). */
  get end(): number {
    return this.endOffset;
  }

  /** Makes an empty log start at `offset` (a durable log whose oldest segments were deleted by retention). */
  startAt(offset: number): void {
    if (this.chunks.length > 0) throw new Error('startAt on a non-empty partition log');
    this.endOffset = offset;
  }

  append(key: string, value: Uint8Array, timestamp: number): void {
    let chunk = this.chunks[this.chunks.length - 1];
    if (chunk === undefined || chunk.count === this.chunkSize) {
      // Size the arena like the previous chunk's (record sizes on a topic are steady), so it rarely
      // grows and little of it is left unused; the first chunk starts small and doubles.
      const hint = chunk === undefined ? this.chunkSize * 16 : chunk.used + (chunk.used >>> 4);
      chunk = new Chunk(this.endOffset, this.chunkSize, Math.max(1024, hint));
      this.chunks.push(chunk);
    }
    const n = value.length;
    chunk.reserve(n);
    const at = chunk.used;
    chunk.bytes.set(value, at);
    chunk.used = at + n;
    const i = chunk.count;
    chunk.keys[i] = key;
    chunk.timestamps[i] = timestamp;
    chunk.ends[i] = at + n;
    chunk.count = i + 1;
    this.endOffset++;
    this.retainedRecords++;
    this.retainedBytes += n;
    const first = this.chunks[this.head]!;
    if (
      this.retainedRecords - first.count >= this.retention.records ||
      this.retainedBytes - first.used >= this.retention.bytes
    ) {
      this.enforceRetention();
    }
  }

  /**
   * Drops full chunks from the front while either limit is exceeded by at least that whole chunk.
   * Checked after every append, so the log never holds more than the limit plus its first chunk.
   */
  private enforceRetention(): void {
    // The last chunk is the active one and is never dropped.
    while (this.head < this.chunks.length - 1) {
      const first = this.chunks[this.head]!;
      if (
        this.retainedRecords - first.count < this.retention.records &&
        this.retainedBytes - first.used < this.retention.bytes
      ) {
        break;
      }
      this.retainedRecords -= first.count;
      this.retainedBytes -= first.used;
      this.head++;
    }
    // Splice dropped chunks out occasionally so the array does not grow with the log's lifetime.
    if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks.splice(0, this.head);
      this.head = 0;
    }
  }

  /**
   * Up to `max` records starting at `from` (which must be in [start, end)), contiguous, in offset order.
   * The caller's position moves to `from + result.length`.
   */
  read(from: number, max: number): BusRecord[] {
    const stop = Math.min(this.endOffset, from + max);
    const out = new Array<BusRecord>(stop - from);
    let n = 0;
    let offset = from;
    let ci = this.findChunk(from);
    while (offset < stop) {
      const chunk = this.chunks[ci]!;
      const last = Math.min(stop, chunk.base + chunk.count);
      const { keys, timestamps, ends } = chunk;
      // The arena's own ArrayBuffer (byteOffset 0): a direct view is cheaper than subarray().
      const buffer = chunk.bytes.buffer;
      let from = offset === chunk.base ? 0 : ends[offset - chunk.base - 1]!;
      for (let i = offset - chunk.base, o = offset; o < last; i++, o++) {
        const to = ends[i]!;
        out[n++] = {
          topic: this.topic,
          partition: this.partition,
          offset: o,
          key: keys[i]!,
          value: new Uint8Array(buffer, from, to - from),
          timestamp: timestamps[i]!,
        };
        from = to;
      }
      offset = last;
      ci++;
    }
    return out;
  }

  /** Index in `chunks` of the chunk holding `offset` (binary search over the live chunks). */
  private findChunk(offset: number): number {
    let lo = this.head;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.chunks[mid]!.base <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
