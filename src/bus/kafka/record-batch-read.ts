// Kafka record batches (magic 2) read straight into the Bus port's records.
//
// @platformatic/kafka's reader builds, per record, a record object, a [value, bytesRead] tuple per
// varint, a BigInt timestamp delta, a key Buffer and a headers array, which we then copied into our own
// record: the largest share of the consuming process's time in the kafka-throughput profile (see
// BENCHMARKS.md). Here one pass over the bytes makes the one object the port hands out: the key through
// the interner (keys repeat), the value a view into the fetched bytes, headers skipped (the port has
// none).
//
// Layout (https://kafka.apache.org/documentation/#recordbatch): baseOffset int64, batchLength int32,
// partitionLeaderEpoch int32, magic int8, crc uint32 (CRC-32C of attributes..end), attributes int16,
// lastOffsetDelta int32, baseTimestamp int64, maxTimestamp int64, producerId int64, producerEpoch
// int16, baseSequence int32, recordCount int32, then the records (compressed as one block when
// attributes' low 3 bits say so). Record: length varint, attributes int8, timestampDelta varlong,
// offsetDelta varint, keyLength varint, key, valueLength varint, value, headerCount varint, headers.
//
// A fetch response may end in a truncated batch (the broker cuts at the byte limit): it is left for the
// next fetch. Anything else that does not add up (bad CRC, lengths past the end, an unknown magic or
// codec) is a BUS_LOG_CORRUPT error, retryable: a refetch reads the bytes again.

import { compressionsAlgorithmsByBitmask } from '@platformatic/kafka';
import { isTickstreamError, TickstreamError } from '../../domain/errors.ts';
import { sharedInterner } from '../../domain/interner.ts';
import type { BusRecord } from '../port.ts';
import { crc32cOf } from './crc32c.ts';
import {
  BATCH_HEADER_SIZE,
  COMPRESSION_MASK,
  CRC_FROM,
  IS_CONTROL,
  LOG_APPEND_TIME,
} from './record-batch-layout.ts';

const BATCH_HEAD = 12; // baseOffset + batchLength
const EMPTY = new Uint8Array(0);

const corrupt = (why: string): TickstreamError =>
  new TickstreamError('BUS_LOG_CORRUPT', `kafka record batch: ${why}`, { retryable: true });

/** Signed 64-bit big-endian integer as a number (offsets and timestamps fit in 2^53). */
const int64 = (b: Uint8Array, at: number): number => {
  const hi = (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
  const lo = ((b[at + 4]! << 24) | (b[at + 5]! << 16) | (b[at + 6]! << 8) | b[at + 7]!) >>> 0;
  return hi * 4294967296 + lo;
};
const int32 = (b: Uint8Array, at: number): number =>
  (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;

/** A read position over one block of records; varints without tuples. */
class Cursor {
  b: Uint8Array = EMPTY;
  at = 0;
  end = 0;

  reset(b: Uint8Array, at: number, end: number): void {
    this.b = b;
    this.at = at;
    this.end = end;
  }

  /** Zigzag varint of up to 10 bytes (varint and varlong alike), as a number. */
  varint(): number {
    const b = this.b;
    let at = this.at;
    let raw = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (at >= this.end) throw corrupt('varint past the end');
      const byte = b[at++]!;
      raw += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        this.at = at;
        // zigzag: even → n/2, odd → -(n+1)/2 (arithmetic: beyond 32 bits)
        return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
      }
      scale *= 128;
    }
    throw corrupt('varint longer than 10 bytes');
  }

  int8(): number {
    if (this.at >= this.end) throw corrupt('record past the end');
    return this.b[this.at++]!;
  }

  /** Skips `n` bytes (a length read from the data), checking they are there. */
  skip(n: number): number {
    const at = this.at;
    if (n < 0 || at + n > this.end) throw corrupt(`length ${n} past the end`);
    this.at = at + n;
    return at;
  }
}

const cursor = new Cursor();

export interface BatchesRead {
  /** Offset after the last complete batch read (the next fetch position); `from` when none was. */
  next: number;
  /** Records appended to `out`. */
  records: number;
  /**
   * Where a later call resumes (`start`) when `limit` ended the read; `bytes.length` when nothing more
   * is to be read from these bytes (the end, a truncated last batch, or a bad batch after good ones).
   */
  at: number;
}

/**
 * Appends to `out` the records at offsets ≥ `from` of the complete batches in `bytes` (control batches
 * are skipped but move `next`). A batch that cannot be read (framing, magic, CRC, a record that does not
 * parse) throws BUS_LOG_CORRUPT if it is the first; after good ones it ends the read there: their records
 * are kept and `next` is where it starts, so the next fetch begins at it and only then fails. Nothing of
 * a bad batch is ever left in `out`.
 *
 * `start` and `limit` read a response a few batches at a time (the consumer decodes as it hands records
 * out, so they die young instead of a whole response's worth surviving into the old generation): the
 * read begins at byte `start` (a batch boundary: a previous call's `at`) and ends after the batch that
 * brings the records appended to `limit` or more. A bad batch at `start` > 0 is "after good ones".
 */
export const readRecordBatches = (
  bytes: Uint8Array,
  from: number,
  topic: string,
  partition: number,
  out: BusRecord[],
  start = 0,
  limit = Number.POSITIVE_INFINITY,
): BatchesRead => {
  let at = start;
  let next = from;
  let count = 0;
  while (bytes.length - at >= BATCH_HEAD) {
    const batchLength = int32(bytes, at + 8);
    const end = at + BATCH_HEAD + batchLength;
    if (end > bytes.length) break; // truncated at the fetch's byte limit: the next fetch has it
    const kept = out.length;
    try {
      const bad = invalidBatch(bytes, at, end, batchLength);
      if (bad !== undefined) throw corrupt(bad);
      const base = int64(bytes, at);
      const attributes = (bytes[at + 21]! << 8) | bytes[at + 22]!;
      const last = base + int32(bytes, at + 23);
      if ((attributes & IS_CONTROL) === 0 && last >= from) {
        const logAppendTime = (attributes & LOG_APPEND_TIME) !== 0;
        // LogAppendTime: the broker's time, the batch's max timestamp, is every record's
        const baseTimestamp = int64(bytes, at + (logAppendTime ? 35 : 27));
        const recordCount = int32(bytes, at + 57);
        count += readRecords(
          bytes,
          at + BATCH_HEADER_SIZE,
          end,
          attributes,
          recordCount,
          base,
          baseTimestamp,
          logAppendTime,
          from,
          topic,
          partition,
          out,
        );
      }
      if (last + 1 > next) next = last + 1;
    } catch (e) {
      out.length = kept;
      if (at > 0 && isTickstreamError(e, 'BUS_LOG_CORRUPT')) break;
      throw e;
    }
    at = end;
    if (count >= limit && bytes.length - at >= BATCH_HEAD) return { next, records: count, at };
  }
  return { next, records: count, at: bytes.length };
};

/** Why the batch at [at, end) cannot be read (framing, magic, CRC), or undefined. */
const invalidBatch = (
  bytes: Uint8Array,
  at: number,
  end: number,
  batchLength: number,
): string | undefined => {
  if (batchLength < BATCH_HEADER_SIZE - BATCH_HEAD) return `batch length ${batchLength} too small`;
  const magic = bytes[at + 16]!;
  if (magic !== 2) return `magic ${magic} (only 2 is read)`;
  const crc = int32(bytes, at + 17) >>> 0;
  const actual = crc32cOf(bytes.subarray(at + CRC_FROM, end));
  return crc === actual ? undefined : `CRC ${crc.toString(16)} ≠ computed ${actual.toString(16)}`;
};

/**
 * A record as the port hands it out, its key decoded when first read: the analytics processor never
 * reads the key of a trade (the symbol is in the value), and decoding it for every record took ~5 % of
 * the consume path. The key's bytes stay referenced until then (the value's view holds the same buffer).
 */
class FetchedRecord implements BusRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly value: Uint8Array;
  readonly timestamp: number;
  #bytes: Uint8Array | null;
  readonly #keyAt: number;
  readonly #keyLength: number;
  #key: string | null = null;

  constructor(
    topic: string,
    partition: number,
    offset: number,
    bytes: Uint8Array,
    keyAt: number,
    keyLength: number,
    value: Uint8Array,
    timestamp: number,
  ) {
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.#bytes = keyAt < 0 ? null : bytes;
    this.#keyAt = keyAt;
    this.#keyLength = keyLength;
    this.value = value;
    this.timestamp = timestamp;
  }

  get key(): string | null {
    const b = this.#bytes;
    if (b !== null) {
      this.#key = sharedInterner.decode(b, this.#keyAt, this.#keyAt + this.#keyLength);
      this.#bytes = null;
    }
    return this.#key;
  }
}

const readRecords = (
  bytes: Uint8Array,
  start: number,
  end: number,
  attributes: number,
  recordCount: number,
  base: number,
  baseTimestamp: number,
  logAppendTime: boolean,
  from: number,
  topic: string,
  partition: number,
  out: BusRecord[],
): number => {
  let b = bytes;
  const codec = attributes & COMPRESSION_MASK;
  if (codec !== 0) {
    const algorithm = compressionsAlgorithmsByBitmask[codec];
    if (algorithm === undefined) throw corrupt(`unknown compression ${codec}`);
    try {
      b = algorithm.decompressSync(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start));
    } catch (e) {
      throw new TickstreamError('BUS_LOG_CORRUPT', 'kafka record batch: cannot decompress', {
        cause: e,
        retryable: true,
      });
    }
    start = 0;
    end = b.length;
  }
  if (recordCount < 0) throw corrupt(`record count ${recordCount}`);
  const c = cursor;
  c.reset(b, start, end);
  let n = 0;
  for (let i = 0; i < recordCount; i++) {
    const length = c.varint();
    const recordEnd = c.at + length;
    if (length < 0 || recordEnd > end) throw corrupt(`record length ${length} past the end`);
    c.int8(); // record attributes: unused
    const tsDelta = c.varint();
    const offset = base + c.varint();
    const keyLength = c.varint();
    const keyAt = keyLength < 0 ? -1 : c.skip(keyLength);
    const valueLength = c.varint();
    const valueAt = valueLength < 0 ? -1 : c.skip(valueLength);
    if (c.at > recordEnd) throw corrupt('key or value past the end of its record');
    c.at = recordEnd; // headers: not part of the port's records
    if (offset < from) continue;
    out.push(
      new FetchedRecord(
        topic,
        partition,
        offset,
        b,
        keyAt,
        keyLength,
        valueAt < 0 ? EMPTY : b.subarray(valueAt, valueAt + valueLength),
        logAppendTime ? baseTimestamp : baseTimestamp + tsDelta,
      ),
    );
    n++;
  }
  return n;
};
