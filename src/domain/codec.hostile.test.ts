// Hostile binary input: mutated valid encodings and hand-built traps. Every input must either decode to
// a record that passes its checks or give a non-ok verdict with a known reason; decode must never throw.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import avro from 'avsc';
import fc from 'fast-check';
import { dbl, frame, str, zz } from './avro-by-hand.ts';
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
  SCHEMA_IDS,
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
import {
  checkAlert,
  checkCandle,
  checkDeadletter,
  checkPortfolioValue,
  checkPosition,
  DEADLETTER_REASONS,
} from './codec-checks.ts';
import { mutate, mutationArb } from './codec-mutations.ts';
import { compileScanner, type ScanState } from './codec-scan.ts';
import type { Trade } from './types.ts';
import { checkFill, checkTrade, type Rejection, type Verdict } from './validate.ts';

// ---- hand-built Avro, independent of avsc ----------------------------------------------------------

const T = 1_700_000_000_000;
/** A valid trade body up to (excluding) the conditions array. */
const tradeHead = (): number[] => [...str('AAPL'), ...dbl(190.5), ...dbl(100), ...zz(T)];
const tradeBody = (conditions: number[], seq: number[] = zz(7)): number[] => [
  ...tradeHead(),
  ...conditions,
  ...seq,
];

const rejected = (v: Verdict<unknown>, reason: string, detail?: RegExp): void => {
  assert.equal(v.ok, false, 'expected a rejection');
  const r = v as Rejection;
  assert.equal(r.reason, reason, r.detail);
  if (detail !== undefined) assert.match(r.detail, detail);
};

describe('hand-built traps', () => {
  it('the premise: bare avsc turns 3 bytes into a 1000-element array; the pre-scan refuses them', () => {
    const type = avro.Type.forSchema({ type: 'array', items: 'null' });
    const bytes = Buffer.from([...zz(1000), 0]);
    assert.equal((type.fromBuffer(bytes) as unknown[]).length, 1000);
    const st: ScanState = { end: bytes.length, budget: bytes.length, n: 0, error: '' };
    assert.equal(compileScanner(type)(bytes, 0, st), -1);
    assert.match(st.error, /cannot fit/);
  });

  it('the 5-byte 50,000,000-null array is refused before anything is allocated', () => {
    const type = avro.Type.forSchema({ type: 'array', items: 'null' });
    const bytes = Buffer.from([...zz(50_000_000), 0]);
    assert.equal(bytes.length, 5);
    const st: ScanState = { end: bytes.length, budget: bytes.length, n: 0, error: '' };
    assert.equal(compileScanner(type)(bytes, 0, st), -1);
    assert.match(st.error, /block of 50000000 items cannot fit in 1 remaining bytes/);
  });

  it('many small blocks of zero-byte items are bounded by the record size in total', () => {
    const type = avro.Type.forSchema({ type: 'array', items: 'null' });
    const bytes = Buffer.from([...Array.from({ length: 200 }, () => zz(100)).flat(), 0]);
    const st: ScanState = { end: bytes.length, budget: bytes.length, n: 0, error: '' };
    assert.equal(compileScanner(type)(bytes, 0, st), -1);
    assert.match(st.error, /more items than the record has bytes/);
  });

  it('a trade declaring 50,000,000 conditions', () => {
    const v = decodeTrade(frame(SCHEMA_IDS.Trade, tradeBody([...zz(50_000_000), 0])));
    rejected(v, 'decode_error', /conditions: block of 50000000 items cannot fit/);
  });

  it('a negative block count with a huge block size', () => {
    rejected(
      decodeTrade(frame(SCHEMA_IDS.Trade, tradeBody([...zz(-3), ...zz(2 ** 40), 0]))),
      'decode_error',
      /block size/,
    );
  });

  it('a symbol declaring 2^40 bytes, and a negative string length', () => {
    rejected(decodeTrade(frame(SCHEMA_IDS.Trade, [...zz(2 ** 40), 0x41])), 'decode_error', /exceeds/);
    rejected(decodeTrade(frame(SCHEMA_IDS.Trade, [...zz(-5), 0x41])), 'decode_error', /negative length/);
  });

  it('a candle indicator map declaring 2^31 entries', () => {
    const body = [
      ...str('AAPL'),
      ...zz(60_000),
      ...zz(T),
      ...dbl(1),
      ...dbl(2),
      ...dbl(1),
      ...dbl(2),
      ...dbl(10),
      ...dbl(1.5),
      ...zz(3),
      1,
      ...zz(1), // sma: the map branch of the union
      ...zz(2 ** 31),
      0,
    ];
    rejected(decodeCandle(frame(SCHEMA_IDS.Candle, body)), 'decode_error', /sma.*cannot fit/);
  });

  it('varints: longer than 10 bytes, an int beyond 32 bits, a long beyond 2^53', () => {
    rejected(
      decodeTrade(
        frame(SCHEMA_IDS.Trade, [...str('AAPL'), ...dbl(1), ...dbl(1), ...Array(11).fill(0x80), 0]),
      ),
      'decode_error',
      /varint longer than 10 bytes/,
    );
    const fill = (user: number[]) => [
      ...str('f1'),
      ...user,
      ...str('AAPL'),
      0,
      ...dbl(1),
      ...dbl(1),
      ...zz(T),
    ];
    rejected(
      decodeFill(frame(SCHEMA_IDS.Fill, fill(zz(2 ** 33)))),
      'decode_error',
      /varint longer than 5|int out/,
    );
    rejected(
      decodeFill(frame(SCHEMA_IDS.Fill, fill(zz(2 ** 31)))),
      'decode_error',
      /int out of 32-bit range/,
    );
    rejected(
      decodeTrade(frame(SCHEMA_IDS.Trade, tradeBody([0], zz(2n ** 60n)))),
      'decode_error',
      /beyond 2\^53/,
    );
  });

  it('enum, union and boolean values out of range', () => {
    const fill = [...str('f1'), ...zz(1), ...str('AAPL'), ...zz(2), ...dbl(1), ...dbl(1), ...zz(T)];
    rejected(decodeFill(frame(SCHEMA_IDS.Fill, fill)), 'decode_error', /enum index 2/);
    const alert = [
      ...str('AAPL'),
      ...zz(T),
      0,
      ...dbl(1),
      ...dbl(1),
      ...zz(7),
      ...zz(1),
      ...str('id'),
      ...str('m'),
    ];
    rejected(decodeAlert(frame(SCHEMA_IDS.Alert, alert)), 'decode_error', /union index 7/);
    const candle = [...str('A'), ...zz(60_000), ...zz(T), ...dbl(1), ...dbl(1), ...dbl(1), ...dbl(1)];
    const tail = [...dbl(0), ...dbl(1), ...zz(1), 2, 0, 0, 0, 0];
    rejected(decodeCandle(frame(SCHEMA_IDS.Candle, [...candle, ...tail])), 'decode_error', /boolean byte 2/);
  });

  it('invalid UTF-8 in a string', () => {
    const body = [...zz(2), 0xc3, 0x28, ...dbl(1), ...dbl(1), ...zz(T), 0, 0];
    rejected(decodeTrade(frame(SCHEMA_IDS.Trade, body)), 'decode_error', /invalid UTF-8/);
  });

  it('header: short, bad magic, unknown schema id, another record type’s id; trailing bytes', () => {
    const good = [...encodeTrade(tradeSample())];
    rejected(decodeTrade(Uint8Array.from([0, 0, 0])), 'decode_error', /shorter than the 5-byte header/);
    rejected(decodeTrade(Uint8Array.from([1, ...good.slice(1)])), 'decode_error', /magic byte 0x1/);
    rejected(decodeTrade(frame(424242, good.slice(5))), 'decode_error', /unknown schema id 424242/);
    rejected(
      decodeTrade(frame(SCHEMA_IDS.Fill, good.slice(5))),
      'decode_error',
      /schema id 1002 is tickstream.Fill, expected tickstream.Trade/,
    );
    rejected(decodeTrade(Uint8Array.from([...good, 0])), 'decode_error', /1 trailing bytes/);
    rejected(decodeTrade('not bytes' as unknown as Uint8Array), 'decode_error');
  });

  it('records above the size cap are "oversized" before any decoding', () => {
    // A valid header followed by garbage: the verdict must come from the size alone.
    const big = new Uint8Array(MAX_RECORD_BYTES + 1).fill(0xff);
    big.set([0, 0, 0, 0x03, 0xe9]);
    rejected(decodeTrade(big), 'oversized');
    rejected(decodeDeadletter(new Uint8Array(MAX_DEADLETTER_PAYLOAD_BYTES * 4)), 'oversized');
  });

  it('valid Avro that breaks the record rules is rejected with the rule’s reason', () => {
    rejected(
      decodeTrade(frame(SCHEMA_IDS.Trade, [...str('AAPL'), ...dbl(0), ...dbl(1), ...zz(T), 0, 0])),
      'non_positive',
    );
    rejected(
      decodeTrade(frame(SCHEMA_IDS.Trade, [...str('AAPL'), ...dbl(Number.NaN), ...dbl(1), ...zz(T), 0, 0])),
      'non_finite',
    );
    rejected(
      decodeTrade(frame(SCHEMA_IDS.Trade, [...str('AAPL'), ...dbl(1), ...dbl(1), ...zz(5), 0, 0])),
      'bad_timestamp',
    );
    rejected(
      decodeTrade(frame(SCHEMA_IDS.Trade, [...str(''), ...dbl(1), ...dbl(1), ...zz(T), 0, 0])),
      'invalid_field',
    );
  });
});

const tradeSample = (): Trade => fc.sample(tradeArb, { numRuns: 1, seed: 42 })[0]!;

// ---- mutation fuzzing -------------------------------------------------------------------------------

const fuzz = <T>(
  arb: fc.Arbitrary<T>,
  enc: (x: T) => Uint8Array,
  dec: (b: Uint8Array) => Verdict<T>,
  check: (x: T) => Rejection | undefined,
) => {
  const seen = { ok: 0, rejected: 0 };
  fc.assert(
    fc.property(arb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (x, ms) => {
      let bytes = enc(x);
      for (const m of ms) bytes = mutate(bytes, m);
      const v = dec(bytes); // a throw fails the property
      if (v.ok) {
        seen.ok++;
        assert.equal(check(v.value), undefined, 'decoded a record that breaks its own rules');
      } else {
        seen.rejected++;
        assert.ok(DEADLETTER_REASONS.has(v.reason), `unknown reason ${v.reason}`);
        assert.ok(v.detail.length > 0 && v.detail.length < 500, 'detail must say something, briefly');
      }
    }),
    { numRuns: 1500 },
  );
  // The fuzzer must exercise both outcomes, or it is not testing the decoder.
  assert.ok(seen.rejected > 0 && seen.ok > 0, JSON.stringify(seen));
};

describe('mutated valid encodings decode to a valid record or a reasoned rejection, never a throw', () => {
  it('Trade', () => fuzz(tradeArb, encodeTrade, decodeTrade, checkTrade));
  it('Fill', () => fuzz(fillArb, encodeFill, decodeFill, checkFill));
  it('Candle', () => fuzz(candleArb, encodeCandle, decodeCandle, checkCandle));
  it('Alert', () => fuzz(alertArb, encodeAlert, decodeAlert, checkAlert));
  it('Position', () => fuzz(positionArb, encodePosition, decodePosition, checkPosition));
  it('PortfolioValue', () =>
    fuzz(portfolioValueArb, encodePortfolioValue, decodePortfolioValue, checkPortfolioValue));
  it('Deadletter', () =>
    fuzz(deadletterArb, encodeDeadletter, decodeDeadletter, (d) =>
      checkDeadletter(d, MAX_DEADLETTER_PAYLOAD_BYTES),
    ));
});
