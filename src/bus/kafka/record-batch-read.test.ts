// record-batch-read against the Kafka client library's own batch writer and reader: batches are built by
// @platformatic/kafka's createRecordsBatch (an independent encoder) and what we read is compared with what
// its readRecordsBatches reads from the same bytes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32c, createRecordsBatch, Reader, readRecordsBatches } from '@platformatic/kafka';
import fc from 'fast-check';
import { zz } from '../../domain/avro-by-hand.ts';
import { isTickstreamError } from '../../domain/errors.ts';
import type { BusRecord } from '../port.ts';
import { readRecordBatches } from './record-batch-read.ts';

type Compression = 'none' | 'lz4' | 'snappy' | 'gzip';
interface In {
  key: string | null;
  value: Uint8Array | null;
  ts: number;
  headers: [string, string][];
}

/** One batch from the library, its base offset patched in (the CRC does not cover it). */
const libraryBatch = (records: In[], base: number, compression: Compression, producerId = -1n): Buffer => {
  const w = createRecordsBatch(
    records.map((r) => ({
      topic: 't',
      partition: 0,
      key: r.key === null ? undefined : Buffer.from(r.key),
      value: r.value === null ? undefined : Buffer.from(r.value),
      timestamp: BigInt(r.ts),
      headers: new Map(r.headers.map(([k, v]) => [Buffer.from(k), Buffer.from(v)])),
    })) as Parameters<typeof createRecordsBatch>[0],
    { compression, producerId },
  );
  const b = Buffer.from(w.buffer);
  b.writeBigInt64BE(BigInt(base), 0);
  return b;
};

/** Rewrites attributes (and the CRC, as a broker would have computed it). */
const withAttributes = (batch: Buffer, set: number): Buffer => {
  const b = Buffer.from(batch);
  b.writeInt16BE(b.readInt16BE(21) | set, 21);
  b.writeUInt32BE(crc32c(b.subarray(21)), 17);
  return b;
};

/** What the library's reader makes of the bytes, as port records (offset ≥ from, no control batches). */
const libraryRead = (bytes: Buffer, from: number): BusRecord[] => {
  const out: BusRecord[] = [];
  for (const batch of readRecordsBatches(Reader.from(bytes))) {
    if ((batch.attributes & 0x20) !== 0) continue;
    const base = Number(batch.firstOffset);
    const logAppend = (batch.attributes & 0x08) !== 0;
    for (const r of batch.records) {
      const offset = base + r.offsetDelta;
      if (offset < from) continue;
      out.push({
        topic: 't',
        partition: 3,
        offset,
        key: r.key === null || r.key === undefined ? null : r.key.toString('utf8'),
        value: new Uint8Array(r.value ?? new Uint8Array(0)),
        timestamp: logAppend ? Number(batch.maxTimestamp) : Number(batch.firstTimestamp + r.timestampDelta),
      });
    }
  }
  return out;
};

const ours = (bytes: Buffer, from: number): { records: BusRecord[]; next: number; count: number } => {
  const records: BusRecord[] = [];
  const r = readRecordBatches(bytes, from, 't', 3, records);
  return {
    records: records.map((x) => ({ ...x, value: new Uint8Array(x.value) })),
    next: r.next,
    count: r.records,
  };
};

const arbRecord = fc.record({
  key: fc.option(fc.oneof(fc.constantFrom('AAPL', 'MSFT', 'u-1'), fc.string({ maxLength: 40 })), {
    nil: null,
  }),
  value: fc.option(fc.uint8Array({ maxLength: 300 }), { nil: null }),
  ts: fc.integer({ min: 1_600_000_000_000, max: 1_600_000_000_000 + 2 ** 31 - 2 }),
  headers: fc.array(fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })), { maxLength: 2 }),
});
const arbBatches = fc.array(
  fc.record({
    records: fc.array(arbRecord, { minLength: 1, maxLength: 40 }),
    gap: fc.integer({ min: 0, max: 5 }),
    compression: fc.constantFrom<Compression>('none', 'lz4', 'snappy', 'gzip'),
  }),
  { minLength: 1, maxLength: 5 },
);

const build = (specs: { records: In[]; gap: number; compression: Compression }[], start: number) => {
  const parts: Buffer[] = [];
  let base = start;
  for (const s of specs) {
    base += s.gap;
    parts.push(libraryBatch(s.records, base, s.compression));
    base += s.records.length;
  }
  return { bytes: Buffer.concat(parts), end: base };
};

test('reads what the library reads, from any offset, over any compression', () => {
  fc.assert(
    fc.property(arbBatches, fc.integer({ min: 0, max: 2 ** 40 }), fc.nat(), (specs, start, pick) => {
      const { bytes, end } = build(specs, start);
      const from = start + (pick % (end - start + 1));
      const got = ours(bytes, from);
      const expected = libraryRead(bytes, from);
      assert.deepEqual(got.records, expected);
      assert.equal(got.count, expected.length);
      assert.equal(got.next, end);
    }),
    { numRuns: 300 },
  );
});

test('a truncated last batch is left for the next fetch; next stops before it', () => {
  fc.assert(
    fc.property(arbBatches, fc.nat(), (specs, cut) => {
      fc.pre(specs.length >= 2);
      const first = build(specs.slice(0, 1), 100);
      const all = build(specs, 100);
      const keep = first.bytes.length + (cut % (all.bytes.length - first.bytes.length));
      const got = ours(all.bytes.subarray(0, keep), 100);
      // only the first batch is complete when the cut falls inside the second one
      if (keep < first.bytes.length + build(specs.slice(1, 2), 0).bytes.length) {
        assert.equal(got.next, first.end);
        assert.deepEqual(got.records, libraryRead(first.bytes, 100));
      }
    }),
    { numRuns: 200 },
  );
  assert.deepEqual(ours(Buffer.alloc(0), 7), { records: [], next: 7, count: 0 });
  assert.deepEqual(ours(Buffer.alloc(11), 7), { records: [], next: 7, count: 0 });
});

test('control batches are skipped but move the next offset; LogAppendTime batches use the max timestamp', () => {
  const rec = (ts: number): In => ({ key: 'k', value: Buffer.from('v'), ts, headers: [] });
  const data = libraryBatch([rec(1000), rec(1005)], 10, 'none');
  const control = withAttributes(libraryBatch([rec(2000)], 12, 'none', 7n), 0x20 | 0x10);
  const appended = withAttributes(libraryBatch([rec(2990), rec(3000)], 13, 'none'), 0x08);
  const got = ours(Buffer.concat([data, control, appended]), 0);
  assert.deepEqual(
    got.records.map((r) => [r.offset, r.timestamp]),
    [
      [10, 1000],
      [11, 1005],
      [13, 3000], // max timestamp of the batch, for both records
      [14, 3000],
    ],
  );
  assert.equal(got.next, 15);
  const onlyControl = ours(control, 0);
  assert.deepEqual(onlyControl, { records: [], next: 13, count: 0 });
});

test('a timestamp delta beyond 32 bits reads right (the 10-byte varlong path)', () => {
  const b = libraryBatch([{ key: null, value: null, ts: 5, headers: [] }], 0, 'none');
  // Rebuild the single record with a delta of 2^40 + 3 by hand: attributes, ts delta, offset delta 0,
  // key -1, value -1, 0 headers (Kafka's varints are Avro's zigzag longs).
  const body = [0, ...zz(2 ** 40 + 3), ...zz(0), ...zz(-1), ...zz(-1), ...zz(0)];
  const record = Buffer.from([...zz(body.length), ...body]);
  const head = Buffer.from(b.subarray(0, 61));
  head.writeInt32BE(61 - 12 + record.length, 8);
  const batch = Buffer.concat([head, record]);
  batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
  const got = ours(batch, 0);
  assert.deepEqual(
    got.records.map((r) => [r.offset, r.key, r.value.length, r.timestamp]),
    [[0, null, 0, 5 + 2 ** 40 + 3]],
  );
});

test('any corrupted byte is a BUS_LOG_CORRUPT error or a clean read, never another exception', () => {
  fc.assert(
    fc.property(arbBatches, fc.nat(), fc.integer({ min: 1, max: 255 }), (specs, where, xor) => {
      const { bytes } = build(specs, 0);
      const bad = Buffer.from(bytes);
      const at = where % bad.length;
      bad[at] = bad[at]! ^ xor;
      try {
        ours(bad, 0);
      } catch (e) {
        assert.ok(isTickstreamError(e, 'BUS_LOG_CORRUPT'), String(e));
        assert.equal(e.retryable, true);
        return;
      }
      // A clean read is only possible when the byte is outside the CRC's cover: base offset, length
      // (seen as a truncated batch), leader epoch.
      const batchStarts: number[] = [];
      for (let p = 0; p < bytes.length; p += 12 + bytes.readInt32BE(p + 8)) batchStarts.push(p);
      const start = batchStarts.filter((s) => s <= at).at(-1)!;
      assert.ok(at - start < 16, `byte ${at - start} of a batch changed and nothing noticed`);
    }),
    { numRuns: 500 },
  );
});
