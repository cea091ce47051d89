import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { zz } from './avro-by-hand.ts';
import {
  decodeAlert,
  decodeCandle,
  decodeDeadletter,
  decodeFill,
  decodePortfolioValue,
  decodePosition,
  decodeTrade,
  encodeAlert,
  encodeCandle,
  encodeDeadletter,
  encodeFill,
  encodePortfolioValue,
  encodePosition,
  encodeTrade,
  MAX_DEADLETTER_PAYLOAD_BYTES,
  MAX_RECORD_BYTES,
  recordTypeOf,
  SCHEMA_IDS,
  schemaIdOf,
} from './codec.ts';
import {
  alertArb,
  candleArb,
  deadletterArb,
  fillArb,
  portfolioValueArb,
  positionArb,
  tradeArb,
} from './codec-arbitraries.ts';
import { isTickstreamError } from './errors.ts';
import type { Deadletter, EventTimeMs, Price, ProcTimeMs, Quantity, Trade } from './types.ts';
import type { Verdict } from './validate.ts';

const roundTrip = <T>(
  arb: fc.Arbitrary<T>,
  enc: (x: T) => Uint8Array,
  dec: (b: Uint8Array) => Verdict<T>,
) => {
  fc.assert(
    fc.property(arb, (x) => {
      const v = dec(enc(x));
      assert.ok(v.ok, v.ok ? '' : `${v.reason}: ${v.detail}`);
      assert.deepStrictEqual(v.value, x);
    }),
    { numRuns: 300 },
  );
};

const trade = (over: Partial<Trade> = {}): Trade => ({
  symbol: 'AAPL',
  price: 190.5 as Price,
  size: 100 as Quantity,
  time: 1_700_000_000_000 as EventTimeMs,
  conditions: ['1', '12'],
  seq: 7,
  ...over,
});

describe('codec round trip: decode(encode(x)) deep-equals x', () => {
  it('Trade', () => roundTrip(tradeArb, encodeTrade, decodeTrade));
  it('Fill', () => roundTrip(fillArb, encodeFill, decodeFill));
  it('Candle with indicator values', () => roundTrip(candleArb, encodeCandle, decodeCandle));
  it('Alert', () => roundTrip(alertArb, encodeAlert, decodeAlert));
  it('Position', () => roundTrip(positionArb, encodePosition, decodePosition));
  it('PortfolioValue', () => roundTrip(portfolioValueArb, encodePortfolioValue, decodePortfolioValue));
  it('Deadletter', () => roundTrip(deadletterArb, encodeDeadletter, decodeDeadletter));
});

describe('wire format', () => {
  it('is Confluent framing + Avro binary, byte for byte (expected bytes built by hand from the spec)', () => {
    const expected = [
      0x00, // magic
      ...[0x00, 0x00, 0x03, 0xe9], // schema id 1001, big-endian
      0x08, // symbol length 4, zigzag
      ...Buffer.from('AAPL'),
      ...[0x00, 0x00, 0x00, 0x00, 0x00, 0xd0, 0x67, 0x40], // 190.5 = 0x4067d00000000000, little-endian
      ...[0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x59, 0x40], // 100 = 0x4059000000000000
      ...zz(1_700_000_000_000),
      0x04, // one block of 2 conditions
      ...[0x02, 0x31], // "1"
      ...[0x04, 0x31, 0x32], // "12"
      0x00, // end of array
      0x0e, // seq 7
    ];
    assert.deepStrictEqual([...encodeTrade(trade())], expected);
  });

  it('schema ids come from schemas/registry.json and are distinct', () => {
    const reg = JSON.parse(readFileSync(new URL('../../schemas/registry.json', import.meta.url), 'utf8')) as {
      schemas: { subject: string; id: number }[];
    };
    for (const s of reg.schemas) {
      assert.equal(SCHEMA_IDS[s.subject.replace('tickstream.', '') as keyof typeof SCHEMA_IDS], s.id);
    }
    assert.equal(new Set(Object.values(SCHEMA_IDS)).size, 7);
  });

  it('schemaIdOf and recordTypeOf read the header', () => {
    const b = encodeFill({
      fillId: 'f1',
      user: 3,
      symbol: 'MSFT',
      side: 'sell',
      quantity: 2 as Quantity,
      price: 400 as Price,
      time: 1_700_000_000_000 as EventTimeMs,
    });
    assert.equal(schemaIdOf(b), SCHEMA_IDS.Fill);
    assert.equal(recordTypeOf(b), 'Fill');
    assert.equal(schemaIdOf(Uint8Array.from([1, 0, 0, 0, 1])), -1);
    assert.equal(schemaIdOf(Uint8Array.from([0, 0])), -1);
    assert.equal(recordTypeOf(Uint8Array.from([0, 0, 0, 0, 9])), undefined);
  });

  it('decodes from a Uint8Array view at a non-zero offset (not only Buffers)', () => {
    const enc = encodeTrade(trade());
    const big = new Uint8Array(enc.length + 10);
    big.set(enc, 7);
    const v = decodeTrade(big.subarray(7, 7 + enc.length));
    assert.ok(v.ok);
    assert.deepStrictEqual(v.value, trade());
  });

  it('decoded values do not alias the scratch buffer: earlier results survive later encodes', () => {
    const a = encodeTrade(trade({ symbol: 'AAA' }));
    encodeTrade(trade({ symbol: 'BBB' }));
    const v = decodeTrade(a);
    assert.ok(v.ok);
    assert.equal(v.value.symbol, 'AAA');
  });
});

describe('encode limits', () => {
  it('throws a typed error when a record cannot be written or would exceed MAX_RECORD_BYTES', () => {
    assert.throws(
      () => encodeTrade(trade({ conditions: Array.from({ length: 20_000 }, () => 'ABCD') })),
      (e) => isTickstreamError(e, 'VALIDATION_FAILED'),
    );
    assert.throws(
      () => encodeTrade(trade({ time: 1.5 as EventTimeMs })),
      (e) => isTickstreamError(e, 'VALIDATION_FAILED'),
    );
  });

  it('a deadletter with an oversized payload keeps its first bytes and says it was truncated', () => {
    const payload = new Uint8Array(MAX_RECORD_BYTES + 1000).map((_, i) => i & 0xff);
    const d: Deadletter = {
      sourceTopic: 'trades',
      partition: 2,
      offset: 99,
      reason: 'oversized',
      detail: 'too big',
      payload,
      time: 1_700_000_000_000 as ProcTimeMs,
    };
    const v = decodeDeadletter(encodeDeadletter(d));
    assert.ok(v.ok, v.ok ? '' : v.detail);
    assert.equal(v.value.payload.length, MAX_DEADLETTER_PAYLOAD_BYTES);
    assert.deepStrictEqual(v.value.payload, payload.slice(0, MAX_DEADLETTER_PAYLOAD_BYTES));
    assert.match(v.value.detail, /^too big \[payload truncated from 66536 bytes\]$/);
  });
});
