// Our Fetch v17 response parser against the library's own (fetchV17.parseResponse, whose code it
// copies but for the records): for responses built here byte by byte, with records, empty and null
// record sets, aborted transactions, errors and tagged fields, both must read the same response, and
// the bytes we keep must read (record-batch-read.ts) as the library's parsed batches do.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRecordsBatch, fetchV17, Reader, ResponseError, Writer } from '@platformatic/kafka';
import fc from 'fast-check';
import { plainRecord } from '../plain-record.ts';
import type { BusRecord } from '../port.ts';
import { parseFetchResponse, RawRecords } from './fetch-fast.ts';
import { readRecordBatches } from './record-batch-read.ts';

interface PartitionSpec {
  index: number;
  errorCode: number;
  /** Records of the partition's one batch; null: a null records field; []: an empty one. */
  records: number[] | null;
  aborted: boolean;
  leaderTag: boolean;
}

const batchOf = (values: number[], base: number): Buffer => {
  const w = createRecordsBatch(
    values.map((v, i) => ({
      topic: 't',
      partition: 0,
      key: Buffer.from(`k${v}`),
      value: Buffer.from(`value-${v}`),
      timestamp: BigInt(1_700_000_000_000 + i * 3),
    })) as Parameters<typeof createRecordsBatch>[0],
    { compression: 'none' },
  );
  const b = Buffer.from(w.buffer);
  b.writeBigInt64BE(BigInt(base), 0);
  return b;
};

const uuid = '00112233-4455-6677-8899-aabbccddeeff';

/** A Fetch v17 response body (after the correlation id and header tags), written field by field. */
const response = (topics: PartitionSpec[][], withEndpoints: boolean): Buffer => {
  const w = Writer.create();
  w.appendInt32(5).appendInt16(0).appendInt32(77); // throttle, error, session
  w.appendUnsignedVarInt(topics.length + 1);
  for (const parts of topics) {
    w.appendUUID(uuid);
    w.appendUnsignedVarInt(parts.length + 1);
    for (const p of parts) {
      w.appendInt32(p.index).appendInt16(p.errorCode).appendInt64(100n).appendInt64(90n).appendInt64(0n);
      if (p.aborted) w.appendUnsignedVarInt(2).appendInt64(9n).appendInt64(3n).appendUnsignedVarInt(0);
      else w.appendUnsignedVarInt(0); // null aborted transactions
      w.appendInt32(-1);
      if (p.records === null) w.appendUnsignedVarInt(0);
      else {
        const bytes = p.records.length === 0 ? Buffer.alloc(0) : batchOf(p.records, 40);
        w.appendUnsignedVarInt(bytes.length + 1).append(bytes);
      }
      if (p.leaderTag) {
        // one tagged field: 1 (currentLeader) of 8 bytes
        w.appendUnsignedVarInt(1)
          .appendUnsignedVarInt(1)
          .appendUnsignedVarInt(8)
          .appendInt32(3)
          .appendInt32(4);
      } else w.appendUnsignedVarInt(0);
    }
    w.appendUnsignedVarInt(0); // topic tags
  }
  if (withEndpoints) {
    const e = Writer.create();
    e.appendUnsignedVarInt(2).appendInt32(1).appendString('broker-1').appendInt32(9092).appendString(null);
    e.appendUnsignedVarInt(0);
    w.appendUnsignedVarInt(1).appendUnsignedVarInt(0).appendUnsignedVarInt(e.length).append(e.buffer);
  } else w.appendUnsignedVarInt(0);
  return w.buffer;
};

const parse = (parser: typeof parseFetchResponse, body: Buffer): unknown => {
  try {
    return parser(1, 1, 17, Reader.from(body));
  } catch (e) {
    // Partition or top-level error codes: both parsers throw a ResponseError carrying the response.
    // Anything else (a response this test wrote wrong) fails the test.
    if (!(e instanceof ResponseError)) throw e;
    return { error: (e as unknown as { response: unknown }).response };
  }
};

/** Records of a partition's records field as the port's records, from either form. */
const recordsOf = (records: unknown): BusRecord[] | null => {
  if (records === null) return null;
  const out: BusRecord[] = [];
  if (records instanceof RawRecords) readRecordBatches(records.bytes, 0, 't', 0, out);
  else
    for (const b of records as fetchV17.FetchResponsePartition['records'] & object[]) {
      const batch = b as unknown as {
        firstOffset: bigint;
        firstTimestamp: bigint;
        records: { offsetDelta: number; timestampDelta: bigint; key: Buffer; value: Buffer }[];
      };
      for (const r of batch.records)
        out.push({
          topic: 't',
          partition: 0,
          offset: Number(batch.firstOffset) + r.offsetDelta,
          key: r.key.toString(),
          value: r.value,
          timestamp: Number(batch.firstTimestamp + r.timestampDelta),
        });
    }
  return out.map((r) => plainRecord(r));
};

/** The response with every partition's records field replaced by the records it holds. */
const normalized = (parsed: unknown): unknown =>
  JSON.parse(
    JSON.stringify(parsed, (k, v) => {
      if (typeof v === 'bigint') return `${v}n`;
      if (k === 'records') return recordsOf(v);
      if (v instanceof Uint8Array) return [...v];
      return v;
    }),
  );

const partition: fc.Arbitrary<PartitionSpec> = fc.record({
  index: fc.nat(1000),
  errorCode: fc.constantFrom(0, 0, 0, 1, 6),
  records: fc.oneof(fc.constant(null), fc.array(fc.nat(99), { maxLength: 6 })),
  aborted: fc.boolean(),
  leaderTag: fc.boolean(),
});

test('parseFetchResponse reads what the library reads, the records kept as bytes that read the same', () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(partition, { maxLength: 4 }), { maxLength: 3 }),
      fc.boolean(),
      (topics, endpoints) => {
        const body = response(topics, endpoints);
        const ours = parse(parseFetchResponse, body);
        const theirs = parse(fetchV17.parseResponse as typeof parseFetchResponse, body);
        assert.deepEqual(normalized(ours), normalized(theirs));
        // Raw bytes exactly where there are records and no aborted transactions.
        const parts = ((ours as { responses?: unknown; error?: { responses: unknown } }).responses ??
          (ours as { error: { responses: unknown } }).error.responses) as {
          partitions: { records: unknown; abortedTransactions: unknown[] | null }[];
        }[];
        for (const [i, spec] of topics.entries()) {
          for (const [j, p] of spec.entries()) {
            const got = parts[i]!.partitions[j]!.records;
            const raw = p.records !== null && p.records.length > 0 && !p.aborted;
            assert.equal(got instanceof RawRecords, raw, `topic ${i} partition ${j}`);
          }
        }
      },
    ),
    { numRuns: 300 },
  );
});
