// record-batch-read against the Kafka client library's own batch writer and reader: batches are built by
// @platformatic/kafka's createRecordsBatch (an independent encoder) and what we read is compared with what
// its readRecordsBatches reads from the same bytes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32c, createRecordsBatch, Reader, readRecordsBatches } from '@platformatic/kafka';
import fc from 'fast-check';
import { zz } from '../../domain/avro-by-hand.ts';
import { isTickstreamError } from '../../domain/errors.ts';
import { plainRecord } from '../plain-record.ts';
import type { BusRecord } from '../port.ts';
import { appendParsedBatches, type ParsedBatch } from './parsed-batches.ts';
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
    records: records.map((x) => plainRecord(x)),
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

test('read a few batches at a time (start, limit), as the consumer does: the same records and next as one read', () => {
  fc.assert(
    fc.property(
      arbBatches,
      fc.nat(),
      fc.integer({ min: 1, max: 60 }),
      fc.nat(),
      (specs, pick, limit, cut) => {
        const { bytes: whole, end } = build(specs, 50);
        // sometimes with a truncated last batch, as a fetch at its byte limit ends
        const bytes = cut % 3 === 0 ? whole.subarray(0, whole.length - (cut % 40)) : whole;
        const from = 50 + (pick % (end - 50 + 1));
        const once = ours(bytes, from);
        const records: BusRecord[] = [];
        let next = from;
        let at = 0;
        let reads = 0;
        while (at < bytes.length) {
          const before = records.length;
          const r = readRecordBatches(bytes, next, 't', 3, records, at, limit);
          assert.equal(r.records, records.length - before);
          // a read stops after the batch that reaches the limit, or at the end
          assert.ok(r.records >= limit || r.at === bytes.length, `${r.records} records, stopped at ${r.at}`);
          // ... and not later: before the limit, at most one batch (≤ 40 records here) more
          assert.ok(r.records < limit + 40, `${r.records} records for a limit of ${limit}`);
          assert.ok(r.at > at || r.at === bytes.length, 'every read moves on');
          next = r.next;
          at = r.at;
          reads++;
        }
        assert.deepEqual(
          records.map((x) => plainRecord(x)),
          once.records,
        );
        assert.equal(next, once.next);
        if (once.count >= limit + 40) assert.ok(reads > 1, 'the limit split the read');
      },
    ),
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
      // The complete batches before the cut (at least the first; never the last, which the cut is in).
      let whole = first;
      for (let k = 2; k < specs.length; k++) {
        const prefix = build(specs.slice(0, k), 100);
        if (prefix.bytes.length > keep) break;
        whole = prefix;
      }
      assert.ok(whole.bytes.equals(all.bytes.subarray(0, whole.bytes.length)), 'batches built alike');
      assert.equal(got.next, whole.end);
      assert.deepEqual(got.records, libraryRead(whole.bytes, 100));
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

test("the consumer's fallback over the library's parsed batches reads what ours reads from the bytes", () => {
  // Batches of every kind the broker returns: data (CreateTime), LogAppendTime, transaction markers.
  const kinds = fc.array(fc.constantFrom(0, 0x08, 0x30), { minLength: 5, maxLength: 5 });
  fc.assert(
    fc.property(
      arbBatches,
      kinds,
      fc.integer({ min: 0, max: 2 ** 40 }),
      fc.nat(),
      (specs, attrs, start, pick) => {
        const parts: Buffer[] = [];
        let base = start;
        specs.forEach((s, i) => {
          base += s.gap;
          const set = attrs[i]!;
          const b = libraryBatch(s.records, base, s.compression, set & 0x20 ? 7n : -1n);
          parts.push(set === 0 ? b : withAttributes(b, set));
          base += s.records.length;
        });
        const bytes = Buffer.concat(parts);
        const from = start + (pick % (base - start + 1));
        const fallback: BusRecord[] = [];
        const parsed = [...readRecordsBatches(Reader.from(bytes))] as unknown as ParsedBatch[];
        const next = appendParsedBatches(parsed, from, 't', 3, fallback);
        const fast = ours(bytes, from);
        assert.deepEqual(
          fallback.map((x) => plainRecord(x)),
          fast.records,
        );
        assert.equal(next, fast.next);
        assert.equal(next, Math.max(from, base));
      },
    ),
    { numRuns: 300 },
  );
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

test('a corrupted byte: BUS_LOG_CORRUPT from the first batch, the good batches before a later one, never another exception', () => {
  fc.assert(
    fc.property(arbBatches, fc.nat(), fc.integer({ min: 1, max: 255 }), (specs, where, xor) => {
      const { bytes } = build(specs, 0);
      const bad = Buffer.from(bytes);
      const at = where % bad.length;
      bad[at] = bad[at]! ^ xor;
      const batchStarts: number[] = [];
      for (let p = 0; p < bytes.length; p += 12 + bytes.readInt32BE(p + 8)) batchStarts.push(p);
      const start = batchStarts.filter((s) => s <= at).at(-1)!;
      // outside the CRC's cover: base offset, length (read as a truncated batch), leader epoch
      const uncovered = at - start < 16;
      let got: ReturnType<typeof ours>;
      try {
        got = ours(bad, 0);
      } catch (e) {
        assert.ok(isTickstreamError(e, 'BUS_LOG_CORRUPT'), String(e));
        assert.equal(e.retryable, true);
        assert.ok(start === 0 || uncovered, 'only the first batch throws');
        return;
      }
      if (uncovered) return;
      assert.ok(start > 0, `byte ${at} of the first batch changed and nothing noticed`);
      // the batches before the bad one, exactly; the next fetch starts after them (at the bad one)
      const before = bytes.subarray(0, start);
      assert.deepEqual(got.records, libraryRead(before, 0));
      const last = readRecordsBatches(Reader.from(before)).at(-1)!;
      assert.equal(got.next, Number(last.firstOffset) + last.lastOffsetDelta + 1);
    }),
    { numRuns: 500 },
  );
});

test('a record that does not parse in a batch whose CRC holds: no part of that batch is handed out', () => {
  const rec = (i: number): In => ({ key: `k${i}`, value: Buffer.from(`v${i}`), ts: 1000 + i, headers: [] });
  const good = libraryBatch([rec(0), rec(1)], 0, 'none');
  // Three records; the third's length claims more bytes than the batch has; the CRC is recomputed,
  // so only the record parser can tell.
  const broken = libraryBatch([rec(2), rec(3), rec(4)], 2, 'none');
  let p = 61;
  for (let i = 0; i < 2; i++) {
    // each record is its zigzag length (one byte here) then that many bytes
    p += 1 + broken[p]! / 2;
  }
  broken[p] = 0x7e; // zigzag 63: past the end
  broken.writeUInt32BE(crc32c(broken.subarray(21)), 17);
  const out: BusRecord[] = [
    { topic: 't', partition: 3, offset: -1, key: null, value: new Uint8Array(0), timestamp: 0 },
  ];
  const r = readRecordBatches(Buffer.concat([good, broken]), 0, 't', 3, out);
  assert.deepEqual(
    out.map((x) => x.offset),
    [-1, 0, 1],
  );
  assert.deepEqual(r, { next: 2, records: 2, at: good.length + broken.length });
  // first in the response: it throws, and `out` is as it was
  assert.throws(
    () => readRecordBatches(broken, 0, 't', 3, out),
    (e: unknown) => isTickstreamError(e, 'BUS_LOG_CORRUPT'),
  );
  assert.equal(out.length, 3);
});
