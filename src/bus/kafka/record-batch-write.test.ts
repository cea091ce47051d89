// The record batch writer against references computed independently: zigzag varlongs by BigInt,
// CRC-32C bit by bit (polynomial 0x82F63B78), and the header layout field by field.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MessageRecord } from '@platformatic/kafka';
import fc from 'fast-check';
import { zz } from '../../domain/avro-by-hand.ts';
import { BATCH_HEADER_SIZE } from './record-batch-layout.ts';
import {
  planRecords,
  uvarintSize,
  varlongSize,
  writeBatchHeader,
  writeRecords,
  writeUVarInt,
  writeVarLong,
} from './record-batch-write.ts';

/** Reference: Kafka's varints and varlongs are Avro's zigzag longs, built there with BigInt. */
const refVarLong = (d: bigint): number[] => zz(d);

/** Reference CRC-32C, one bit at a time. */
const refCrc32c = (bytes: Uint8Array): number => {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
};

const varLongBytes = (d: number): number[] => {
  const buf = Buffer.alloc(16);
  const end = writeVarLong(buf, 0, d);
  assert.equal(end, varlongSize(d), `size of ${d}`);
  return [...buf.subarray(0, end)];
};

describe('varints', () => {
  it('hand-computed zigzag varlongs, including the first deltas the library gets wrong', () => {
    assert.deepEqual(varLongBytes(0), [0x00]);
    assert.deepEqual(varLongBytes(-1), [0x01]);
    assert.deepEqual(varLongBytes(1), [0x02]);
    assert.deepEqual(varLongBytes(63), [0x7e]);
    assert.deepEqual(varLongBytes(-64), [0x7f]);
    assert.deepEqual(varLongBytes(64), [0x80, 0x01]);
    // 2^31 - 1 → zigzag 0xfffffffe; 2^31 → zigzag 2^32 (needs a 33rd bit); -2^31 - 1 → 2^32 + 1
    assert.deepEqual(varLongBytes(2 ** 31 - 1), [0xfe, 0xff, 0xff, 0xff, 0x0f]);
    assert.deepEqual(varLongBytes(2 ** 31), [0x80, 0x80, 0x80, 0x80, 0x10]);
    assert.deepEqual(varLongBytes(-(2 ** 31) - 1), [0x81, 0x80, 0x80, 0x80, 0x10]);
    // The safe-integer ends: zigzag 2^54 - 2 and 2^54 - 3 (odd, not a double: never formed).
    assert.deepEqual(varLongBytes(Number.MAX_SAFE_INTEGER), [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f]);
    assert.deepEqual(
      varLongBytes(-Number.MAX_SAFE_INTEGER),
      [0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f],
    );
  });

  it('writeVarLong equals the BigInt zigzag varint over the whole safe-integer range', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.maxSafeInteger(),
          fc.integer({ min: -(2 ** 33), max: 2 ** 33 }),
          fc.integer({ min: -300, max: 300 }),
        ),
        (d) => {
          assert.deepEqual(varLongBytes(d), refVarLong(BigInt(d)));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('writeUVarInt and uvarintSize over uint32', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (u) => {
        const buf = Buffer.alloc(8);
        const end = writeUVarInt(buf, 0, u);
        assert.equal(end, uvarintSize(u));
        let v = 0;
        for (let i = end - 1; i >= 0; i--) v = v * 128 + (buf[i]! & 0x7f);
        assert.equal(v, u);
        for (let i = 0; i < end; i++) assert.equal(buf[i]! >= 0x80, i < end - 1);
      }),
    );
  });
});

describe('record batch', () => {
  it('a one-record batch, byte by byte, with a bitwise CRC-32C', () => {
    const messages: MessageRecord[] = [
      {
        topic: 't',
        partition: 0,
        key: Buffer.from('ab'),
        value: Buffer.from([1, 2, 3]),
        timestamp: 1_700_000_000_000n,
        headers: new Map([[Buffer.from('h'), Buffer.from('v')]]),
      },
    ];
    const plan = planRecords(messages, 0);
    assert.ok(plan !== undefined);
    // body: attributes 1, delta 1, offsetDelta 1, key 1+2, value 1+3, header count 1, header 1+1+1+1
    const body = 1 + 1 + 1 + 3 + 4 + 1 + 4;
    assert.equal(plan.size, 1 + body);
    const buf = Buffer.alloc(BATCH_HEADER_SIZE + plan.size);
    assert.equal(writeRecords(buf, BATCH_HEADER_SIZE, messages, 0, plan.firstTimestamp), buf.length);
    const fields = {
      attributes: 0x13,
      producerId: 77n,
      producerEpoch: 5,
      firstSequence: 123,
      partitionLeaderEpoch: 9,
    };
    assert.equal(writeBatchHeader(buf, 0, fields, 1, plan, plan.size), buf.length);
    const record = [body * 2, 0, 0, 0, 4, 0x61, 0x62, 6, 1, 2, 3, 2, 2, 0x68, 2, 0x76];
    assert.deepEqual([...buf.subarray(BATCH_HEADER_SIZE)], record);
    assert.equal(buf.readBigInt64BE(0), 0n);
    assert.equal(buf.readInt32BE(8), buf.length - 12);
    assert.equal(buf.readInt32BE(12), 9);
    assert.equal(buf.readInt8(16), 2);
    assert.equal(buf.readUInt32BE(17), refCrc32c(buf.subarray(21)));
    assert.equal(buf.readInt16BE(21), 0x13);
    assert.equal(buf.readInt32BE(23), 0);
    assert.equal(buf.readBigInt64BE(27), 1_700_000_000_000n);
    assert.equal(buf.readBigInt64BE(35), 1_700_000_000_000n);
    assert.equal(buf.readBigInt64BE(43), 77n);
    assert.equal(buf.readInt16BE(51), 5);
    assert.equal(buf.readInt32BE(53), 123);
    assert.equal(buf.readInt32BE(57), 1);
  });

  it('the reference CRC-32C is CRC-32C', () => {
    assert.equal(refCrc32c(Buffer.from('123456789')), 0xe3069283);
  });

  it('maxTimestamp is the largest timestamp, also beyond 2^53 where doubles tie', () => {
    const ts = [2n ** 60n + 1n, 2n ** 60n + 3n, 2n ** 60n + 2n, 5n];
    const messages = ts.map((timestamp) => ({ topic: 't', partition: 0, value: Buffer.alloc(0), timestamp }));
    const plan = planRecords(messages, 0);
    assert.equal(plan?.maxTimestamp, 2n ** 60n + 3n);
    assert.equal(plan?.firstTimestamp, 2n ** 60n + 1n);
  });

  it('declines what it does not encode like the library', () => {
    const ok = { topic: 't', partition: 0, value: Buffer.from('x'), timestamp: 1n };
    assert.ok(planRecords([ok], 0) !== undefined);
    const bad: unknown[] = [
      { ...ok, timestamp: 1 },
      { ...ok, key: 'string key' },
      { ...ok, value: [1, 2] },
      { ...ok, headers: { a: Buffer.from('b') } },
      { ...ok, headers: new Map([['k', Buffer.from('v')]]) },
    ];
    for (const m of bad) assert.equal(planRecords([ok, m as MessageRecord], 0), undefined);
  });
});
