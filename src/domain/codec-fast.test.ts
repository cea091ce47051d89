// The fast Trade/Fill codec against the avsc path it replaces (decodeTradeAvsc, encodeTradeAvsc, ...):
// the same bytes for every record, the same verdict (ok, reason, detail, value) for valid, odd and
// mutated inputs, and exact longs checked against a BigInt reference written from the Avro spec.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bytesEqual, dbl, frame, str, zz } from './avro-by-hand.ts';
import {
  CLEAN_TRADE,
  decodeFill,
  decodeFillAvsc,
  decodeTrade,
  decodeTradeAvsc,
  encodeFill,
  encodeFillAvsc,
  encodeTrade,
  encodeTradeAvsc,
  MAX_RECORD_BYTES,
  readCleanTradeOf,
  SCHEMA_IDS,
} from './codec.ts';
import { fillArb, tradeArb } from './codec-arbitraries.ts';
import {
  decodeFillFast,
  decodeTradeFast,
  encodeFillFast,
  encodeTradeFast,
  FAST_FILL_ID,
  FAST_FILL_WRITES,
  FAST_TRADE_ID,
  FAST_TRADE_WRITES,
} from './codec-fast.ts';
import { mutate, mutationArb } from './codec-mutations.ts';
import { isTickstreamError } from './errors.ts';
import type { EventTimeMs, Fill, Price, Quantity, Trade } from './types.ts';
import { MAX_LONG, type Verdict } from './validate.ts';

// ---- independent Avro pieces (BigInt zigzag from the spec, Buffer for doubles and UTF-8) -----------

const unzz = (bytes: Uint8Array, at: number): bigint => {
  let z = 0n;
  let shift = 0n;
  for (let i = at; ; i++) {
    z |= BigInt(bytes[i]! & 0x7f) << shift;
    shift += 7n;
    if ((bytes[i]! & 0x80) === 0) break;
  }
  return (z >> 1n) ^ -(z & 1n);
};
const T = 1_700_000_000_000;

const trade = (over: Partial<Trade> = {}): Trade => ({
  symbol: 'AAPL',
  price: 190.5 as Price,
  size: 100 as Quantity,
  time: T as EventTimeMs,
  conditions: ['1', '12'],
  seq: 7,
  ...over,
});

/** Both paths, same verdict in full: ok, reason and detail, or the same value. */
const same = <V>(fast: Verdict<V>, ref: Verdict<V>, what = ''): void =>
  assert.deepStrictEqual(fast, ref, what);

const tradeVerdicts = (b: Uint8Array) => {
  const fast = decodeTrade(b);
  same(fast, decodeTradeAvsc(b), Buffer.from(b).toString('hex'));
  return fast;
};

describe('binding', () => {
  it('the fast path reads and writes the registry’s current Trade and Fill schemas', () => {
    assert.equal(FAST_TRADE_ID, SCHEMA_IDS.Trade);
    assert.equal(FAST_FILL_ID, SCHEMA_IDS.Fill);
    assert.equal(FAST_TRADE_WRITES, true);
    assert.equal(FAST_FILL_WRITES, true);
    const b = encodeTrade(trade());
    assert.notEqual(decodeTradeFast(b, MAX_RECORD_BYTES), undefined);
  });

  it('leaves foreign or malformed headers, and oversized records, to the avsc path', () => {
    const good = encodeTrade(trade());
    assert.equal(decodeTradeFast(Uint8Array.from([0, 0, 0]), MAX_RECORD_BYTES), undefined);
    assert.equal(decodeTradeFast(encodeFill(fillArbSample()), MAX_RECORD_BYTES), undefined);
    assert.equal(decodeTradeFast(Uint8Array.from([1, ...good.subarray(1)]), MAX_RECORD_BYTES), undefined);
    assert.equal(decodeTradeFast(good, good.length - 1), undefined);
    assert.equal(decodeFillFast(good, MAX_RECORD_BYTES), undefined);
  });
});

const fillArbSample = (): Fill => fc.sample(fillArb, { numRuns: 1, seed: 7 })[0]!;

// ---- encoding ---------------------------------------------------------------------------------------

/** Any UTF-16 code unit, lone surrogates included: avsc's own encoder and Buffer's treat those differently. */
const anyText = (max: number) =>
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: max });
/** Any ASCII, controls and DEL included: the edges of the token rule (0x21..0x7e). */
const anyAscii = (max: number) =>
  fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: max });
const safeLong = fc.oneof(
  fc.integer({ min: -MAX_LONG, max: MAX_LONG }),
  fc.constantFrom(0, -1, 2 ** 30 - 1, 2 ** 30, -(2 ** 30), -(2 ** 30) - 1, 2 ** 52, -(2 ** 52), MAX_LONG),
);
const anyDouble = fc.double();

/** Records that avsc can write but that may break every record rule (the encoders trust their input). */
const oddTradeArb: fc.Arbitrary<Trade> = fc.record({
  symbol: fc.oneof(anyText(40), anyAscii(20), fc.string({ unit: 'grapheme', maxLength: 30 })),
  price: anyDouble.map((x) => x as Price),
  size: anyDouble.map((x) => x as Quantity),
  // avsc writes negative longs below -2^52 wrongly (see the test below); keep to where it is exact.
  time: safeLong.filter((n) => n >= -(2 ** 52)).map((n) => n as EventTimeMs),
  conditions: fc.array(fc.oneof(anyText(30), anyAscii(10)), { maxLength: 40 }),
  seq: safeLong.filter((n) => n >= -(2 ** 52)),
});

const oddFillArb: fc.Arbitrary<Fill> = fc.record({
  fillId: fc.oneof(anyText(80), anyAscii(70)),
  user: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  symbol: fc.oneof(anyText(20), anyAscii(20)),
  side: fc.constantFrom('buy' as const, 'sell' as const),
  quantity: anyDouble.map((x) => x as Quantity),
  price: anyDouble.map((x) => x as Price),
  time: safeLong.filter((n) => n >= -(2 ** 52)).map((n) => n as EventTimeMs),
});

describe('encoding: the same bytes as avsc', () => {
  it('valid trades and fills', () => {
    fc.assert(
      fc.property(tradeArb, (t) => bytesEqual(encodeTradeFast(t, MAX_RECORD_BYTES), encodeTradeAvsc(t))),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fillArb, (f) => bytesEqual(encodeFillFast(f, MAX_RECORD_BYTES), encodeFillAvsc(f))),
      { numRuns: 500 },
    );
  });

  it('odd values: any text (lone surrogates, > 64 bytes), NaN, ±Infinity, -0, negative longs and ints', () => {
    fc.assert(
      fc.property(oddTradeArb, (t) => bytesEqual(encodeTrade(t), encodeTradeAvsc(t))),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(oddFillArb, (f) => bytesEqual(encodeFill(f), encodeFillAvsc(f))),
      { numRuns: 500 },
    );
  });

  it('every safe long is written as the spec’s zigzag varint (BigInt reference) and read back exactly', () => {
    fc.assert(
      fc.property(safeLong, (n) => {
        const b = encodeTrade(trade({ seq: n }));
        assert.deepEqual([...b.subarray(b.length - zz(n).length)], zz(n));
        assert.equal(unzz(b, b.length - zz(n).length), BigInt(n));
        const v = decodeTrade(b);
        if (n >= 0) assert.deepStrictEqual(v, { ok: true, value: trade({ seq: n }) });
        else assert.equal(v.ok ? undefined : v.detail, `seq must be an integer in 0..${MAX_LONG}, got ${n}`);
      }),
      { numRuns: 1000 },
    );
  });

  it('avsc turns negative longs below -2^52 positive; the fast path keeps them exact on both sides', () => {
    const n = -(2 ** 52) - 1;
    const wire = frame(SCHEMA_IDS.Trade, [...str('AAPL'), ...dbl(1), ...dbl(1), ...zz(T), 0, ...zz(n)]);
    // The reference path accepts the record with seq = 2^52: that is the avsc bug, not a rule.
    const ref = decodeTradeAvsc(wire);
    assert.equal(ref.ok && ref.value.seq, 2 ** 52);
    assert.deepStrictEqual(decodeTrade(wire), {
      ok: false,
      reason: 'invalid_field',
      detail: `seq must be an integer in 0..${MAX_LONG}, got ${n}`,
    });
    const t = trade({ price: 1 as Price, size: 1 as Quantity, conditions: [], seq: n });
    bytesEqual(encodeTrade(t), wire);
    assert.notEqual(Buffer.from(encodeTradeAvsc(t)).toString('hex'), Buffer.from(wire).toString('hex'));
  });

  it('refuses what avsc refuses, with a typed error', () => {
    const bad: [string, unknown][] = [
      ['symbol', 5],
      ['symbol', undefined],
      ['price', '1'],
      ['price', null],
      ['size', 1n],
      ['time', 1.5],
      ['time', MAX_LONG + 1],
      ['time', Number.NaN],
      ['time', '1'],
      ['conditions', 'A'],
      ['conditions', [1]],
      ['conditions', [null]],
      ['seq', -(2 ** 53)],
      ['seq', Number.POSITIVE_INFINITY],
    ];
    for (const [k, v] of bad) {
      const t = { ...trade(), [k]: v } as unknown as Trade;
      assert.throws(
        () => encodeTradeAvsc(t),
        (e) => isTickstreamError(e, 'VALIDATION_FAILED'),
        `avsc ${k}`,
      );
      assert.throws(
        () => encodeTrade(t),
        (e) => isTickstreamError(e, 'VALIDATION_FAILED'),
        `fast ${k}`,
      );
    }
    const fill = fillArbSample();
    const badFill: [string, unknown][] = [
      ['fillId', 1],
      ['user', 2 ** 31],
      ['user', 1.5],
      ['user', '1'],
      ['side', 'BUY'],
      ['side', undefined],
      ['quantity', '1'],
      ['time', -0.5],
    ];
    for (const [k, v] of badFill) {
      const f = { ...fill, [k]: v } as unknown as Fill;
      assert.throws(
        () => encodeFillAvsc(f),
        (e) => isTickstreamError(e, 'VALIDATION_FAILED'),
        `avsc ${k}`,
      );
      assert.throws(
        () => encodeFill(f),
        (e) => isTickstreamError(e, 'VALIDATION_FAILED'),
        `fast ${k}`,
      );
    }
    for (const v of [null, 5, 'trade']) {
      assert.throws(
        () => encodeTrade(v as unknown as Trade),
        (e) => isTickstreamError(e, 'VALIDATION_FAILED'),
      );
      assert.throws(
        () => encodeFill(v as unknown as Fill),
        (e) => isTickstreamError(e, 'VALIDATION_FAILED'),
      );
    }
    // Stricter than avsc, which writes a key of Object.prototype as the first symbol ("buy").
    assert.throws(
      () => encodeFill({ ...fill, side: 'constructor' } as unknown as Fill),
      (e) => isTickstreamError(e, 'VALIDATION_FAILED'),
    );
  });

  it('the size cap: a record of exactly MAX_RECORD_BYTES is written, one byte more is refused, like avsc', () => {
    const overhead = encodeTradeAvsc(trade({ symbol: 'x'.repeat(60_000) })).length - 60_000;
    const exact = trade({ symbol: 'x'.repeat(MAX_RECORD_BYTES - overhead) });
    const b = encodeTrade(exact);
    assert.equal(b.length, MAX_RECORD_BYTES);
    bytesEqual(b, encodeTradeAvsc(exact));
    const over = trade({ symbol: 'x'.repeat(MAX_RECORD_BYTES - overhead + 1) });
    assert.throws(
      () => encodeTradeAvsc(over),
      (e) => isTickstreamError(e, 'VALIDATION_FAILED'),
    );
    assert.throws(() => encodeTrade(over), /would exceed/);
    // Far over the cap, and non-ASCII over the cap.
    assert.throws(() => encodeTrade(trade({ symbol: 'x'.repeat(1_000_000) })), /would exceed/);
    assert.throws(() => encodeTrade(trade({ symbol: 'é'.repeat(40_000) })), /would exceed/);
    // The scratch grew; later small records are still exact and unaffected.
    bytesEqual(encodeTrade(trade()), encodeTradeAvsc(trade()));
  });

  it('returns exact-length copies: earlier results survive later encodes', () => {
    const a = encodeTrade(trade({ symbol: 'AAA' }));
    const copy = Uint8Array.from(a);
    encodeTrade(trade({ symbol: 'BBBBBBBB', conditions: ['Z', 'Y', 'X'] }));
    encodeFill(fillArbSample());
    bytesEqual(a, copy);
    assert.equal(a.length, encodeTradeAvsc(trade({ symbol: 'AAA' })).length);
  });
});

// ---- decoding ---------------------------------------------------------------------------------------

describe('decoding: the same verdicts as the avsc path', () => {
  it('valid trades and fills decode to the record itself', () => {
    fc.assert(
      fc.property(tradeArb, (t) => {
        const b = encodeTradeAvsc(t);
        same(decodeTrade(b), { ok: true, value: t });
        same(decodeTrade(b), decodeTradeAvsc(b));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fillArb, (f) => {
        const b = encodeFillAvsc(f);
        same(decodeFill(b), { ok: true, value: f });
        same(decodeFill(b), decodeFillAvsc(b));
      }),
      { numRuns: 500 },
    );
  });

  it('odd records (rule-breaking values, any text) get the same verdict and detail', () => {
    fc.assert(
      fc.property(oddTradeArb, (t) => {
        const b = encodeTradeAvsc(t);
        same(decodeTrade(b), decodeTradeAvsc(b));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(oddFillArb, (f) => {
        const b = encodeFillAvsc(f);
        same(decodeFill(b), decodeFillAvsc(b));
      }),
      { numRuns: 500 },
    );
  });

  it('reads a Uint8Array view at a non-zero offset of a larger buffer', () => {
    const b = encodeTrade(trade({ symbol: 'MSFT', conditions: ['@', 'F', 'T'] }));
    const big = new Uint8Array(b.length + 37);
    big.set(b, 29);
    const view = big.subarray(29, 29 + b.length);
    same(decodeTrade(view), { ok: true, value: trade({ symbol: 'MSFT', conditions: ['@', 'F', 'T'] }) });
  });

  it('hand-built traps give the reference’s verdict, and the expected reason', () => {
    const head = [...str('AAPL'), ...dbl(190.5), ...dbl(100), ...zz(T)];
    const cases: [string, number[], string, RegExp][] = [
      [
        '50M conditions',
        [...head, ...zz(50_000_000), 0, 0],
        'decode_error',
        /block of 50000000 items cannot fit/,
      ],
      ['negative count, huge size', [...head, ...zz(-3), ...zz(2 ** 40), 0, 0], 'decode_error', /block size/],
      ['symbol length 2^40', [...zz(2 ** 40), 0x41], 'decode_error', /exceeds/],
      ['negative symbol length', [...zz(-5), 0x41], 'decode_error', /negative length/],
      [
        '11-byte varint',
        [...str('AAPL'), ...dbl(1), ...dbl(1), ...Array(11).fill(0x80), 0],
        'decode_error',
        /longer than 10/,
      ],
      [
        '10 continuation bytes then the end',
        [...str('AAPL'), ...dbl(1), ...dbl(1), ...Array(10).fill(0xff)],
        'decode_error',
        /longer than 10/,
      ],
      ['truncated varint', [...str('AAPL'), ...dbl(1), ...dbl(1), 0xff], 'decode_error', /truncated varint/],
      ['seq beyond 2^53', [...head, 0, ...zz(2n ** 60n)], 'decode_error', /beyond 2\^53/],
      ['seq 2^53 - 1', [...head, 0, ...zz(2 ** 53 - 1)], 'decode_error', /beyond 2\^53 - 2/],
      ['truncated double', [...str('AAPL'), 1, 2, 3], 'decode_error', /price: truncated/],
      [
        'invalid UTF-8, short',
        [...zz(2), 0xc3, 0x28, ...dbl(1), ...dbl(1), ...zz(T), 0, 0],
        'decode_error',
        /invalid UTF-8/,
      ],
      [
        'invalid UTF-8, long',
        [...zz(20), ...Array(19).fill(0x41), 0xff, ...dbl(1), ...dbl(1), ...zz(T), 0, 0],
        'decode_error',
        /symbol: invalid UTF-8/,
      ],
      [
        'invalid UTF-8 in a condition',
        [...head, ...zz(1), ...zz(1), 0x80, 0, 0],
        'decode_error',
        /conditions\[\]: invalid UTF-8/,
      ],
      ['trailing byte', [...head, 0, 0, 0], 'decode_error', /1 trailing bytes/],
      ['empty body', [], 'decode_error', /symbol: truncated varint/],
      // Valid Avro that breaks the rules: the rule's reason, worded by checkTrade.
      [
        'BOM before the symbol (kept, not stripped)',
        [...str('\uFEFFA'), ...dbl(1), ...dbl(1), ...zz(T), 0, 0],
        'invalid_field',
        /non-printable or non-ASCII/,
      ],
      ['price 0', [...str('AAPL'), ...dbl(0), ...dbl(1), ...zz(T), 0, 0], 'non_positive', /price/],
      ['size -0', [...str('AAPL'), ...dbl(1), ...dbl(-0), ...zz(T), 0, 0], 'non_positive', /size/],
      ['price NaN', [...str('AAPL'), ...dbl(Number.NaN), ...dbl(1), ...zz(T), 0, 0], 'non_finite', /price/],
      [
        'size Infinity',
        [...str('AAPL'), ...dbl(1), ...dbl(Number.POSITIVE_INFINITY), ...zz(T), 0, 0],
        'non_finite',
        /size/,
      ],
      [
        'time in seconds',
        [...str('AAPL'), ...dbl(1), ...dbl(1), ...zz(T / 1000), 0, 0],
        'bad_timestamp',
        /time/,
      ],
      ['empty symbol', [...str(''), ...dbl(1), ...dbl(1), ...zz(T), 0, 0], 'invalid_field', /symbol/],
      [
        '17-character symbol',
        [...str('A'.repeat(17)), ...dbl(1), ...dbl(1), ...zz(T), 0, 0],
        'invalid_field',
        /symbol/,
      ],
      ['symbol with DEL', [...str('A\x7f'), ...dbl(1), ...dbl(1), ...zz(T), 0, 0], 'invalid_field', /symbol/],
      [
        'symbol with a space',
        [...str('A B'), ...dbl(1), ...dbl(1), ...zz(T), 0, 0],
        'invalid_field',
        /symbol/,
      ],
      [
        '17 conditions',
        [...head, ...zz(17), ...Array(17).fill(str('A')).flat(), 0, 0],
        'invalid_field',
        /at most 16/,
      ],
      [
        '9-character condition',
        [...head, ...zz(1), ...str('ABCDEFGHI'), 0, 0],
        'invalid_field',
        /conditions\[0\]/,
      ],
      ['empty condition', [...head, ...zz(1), ...str(''), 0, 0], 'invalid_field', /conditions\[0\]/],
      ['negative seq', [...head, 0, ...zz(-1)], 'invalid_field', /seq/],
    ];
    for (const [name, body, reason, detail] of cases) {
      const v = tradeVerdicts(frame(SCHEMA_IDS.Trade, body));
      assert.equal(v.ok, false, name);
      if (!v.ok) {
        assert.equal(v.reason, reason, `${name}: ${v.detail}`);
        assert.match(v.detail, detail, name);
      }
    }
  });

  it('accepted oddities agree too: blocks, negative counts with sizes, non-canonical varints', () => {
    const head = [...str('AAPL'), ...dbl(190.5), ...dbl(100), ...zz(T)];
    const two = [...str('1'), ...str('12')];
    const cases: [string, number[]][] = [
      ['two blocks', [...head, ...zz(1), ...str('1'), ...zz(1), ...str('12'), 0, ...zz(7)]],
      ['negative count with the right size', [...head, ...zz(-2), ...zz(two.length), ...two, 0, ...zz(7)]],
      // Like avsc (and the pre-scan), the block size is only checked to fit, not to match its items.
      ['negative count with a wrong size', [...head, ...zz(-2), ...zz(1), ...two, 0, ...zz(7)]],
      ['non-canonical zero seq', [...head, 0, 0x80, 0x00]],
      ['non-canonical count', [...head, 0x84, 0x00, ...two, 0, ...zz(7)]],
    ];
    for (const [name, body] of cases) {
      const v = tradeVerdicts(frame(SCHEMA_IDS.Trade, body));
      assert.equal(v.ok, true, name);
    }
  });

  it('fill traps: int range, enum index, fields in order', () => {
    const fill = (user: number[], side: number[] = [0]) =>
      frame(SCHEMA_IDS.Fill, [
        ...str('f1'),
        ...user,
        ...str('AAPL'),
        ...side,
        ...dbl(1),
        ...dbl(1),
        ...zz(T),
      ]);
    const cases: [string, Uint8Array, string, RegExp][] = [
      ['user 2^31', fill(zz(2 ** 31)), 'decode_error', /user: int out of 32-bit range/],
      ['user 2^40', fill(zz(2 ** 40)), 'decode_error', /user: varint longer than 5 bytes/],
      ['user -1', fill(zz(-1)), 'invalid_field', /user/],
      ['side 2', fill(zz(1), zz(2)), 'decode_error', /side: enum index 2 not in 0..1/],
      ['side -1', fill(zz(1), zz(-1)), 'decode_error', /side: enum index -1/],
      ['side 2^31', fill(zz(1), zz(2 ** 31)), 'decode_error', /side: int out of 32-bit range/],
    ];
    for (const [name, b, reason, detail] of cases) {
      const v = decodeFill(b);
      same(v, decodeFillAvsc(b), name);
      assert.equal(v.ok, false, name);
      if (!v.ok) {
        assert.equal(v.reason, reason, `${name}: ${v.detail}`);
        assert.match(v.detail, detail, name);
      }
    }
    const ok = decodeFill(fill(zz(2 ** 31 - 1), [2]));
    assert.deepStrictEqual(ok, decodeFillAvsc(fill(zz(2 ** 31 - 1), [2])));
    assert.equal(ok.ok && ok.value.side, 'sell');
  });
});

// ---- mutation fuzzing: the hostile test's mutations, fast verdict vs reference verdict -------------

/** Whether a verdict carries a long beyond ±2^52 (a value of seq or time, or a number in the detail). */
const bigLong = (v: Verdict<Trade | Fill>): boolean =>
  v.ok
    ? Math.abs(v.value.time) > 2 ** 52 || ('seq' in v.value && v.value.seq > 2 ** 52)
    : (v.detail.match(/-?\d{16,}/g) ?? []).some((x) => Math.abs(Number(x)) > 2 ** 52);

/**
 * The reference is wrong where avsc reads a negative long below -2^52 (it comes out positive, see
 * above). A disagreement is tolerated (and counted) only there: the reference holds a long beyond 2^52
 * and the fast path rejected the record naming a negative one beyond -2^52.
 */
const avscLongBug = (fast: Verdict<Trade | Fill>, ref: Verdict<Trade | Fill>): boolean =>
  bigLong(ref) && !fast.ok && (fast.detail.match(/-\d{16,}/g) ?? []).some((x) => Number(x) < -(2 ** 52));

const agree = <R extends Trade | Fill>(
  arb: fc.Arbitrary<R>,
  enc: (x: R) => Uint8Array,
  fast: (b: Uint8Array) => Verdict<R>,
  ref: (b: Uint8Array) => Verdict<R>,
) => {
  const seen = { ok: 0, rejected: 0, fastPath: 0, excluded: 0 };
  const id = (enc === encodeTrade ? FAST_TRADE_ID : FAST_FILL_ID) as number;
  fc.assert(
    fc.property(arb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (x, ms) => {
      let bytes = enc(x);
      for (const m of ms) bytes = mutate(bytes, m);
      const a = fast(bytes);
      const r = ref(bytes);
      if (avscLongBug(a, r)) {
        seen.excluded++;
        return;
      }
      same(a, r, Buffer.from(bytes).toString('hex'));
      if (a.ok) seen.ok++;
      else seen.rejected++;
      if (bytes.length >= 5 && Buffer.from(bytes).readUInt32BE(1) === id && bytes[0] === 0) seen.fastPath++;
    }),
    { numRuns: 3000 },
  );
  // Both outcomes, mostly through the fast reader (not the header fallback), few exclusions.
  assert.ok(seen.ok > 30 && seen.rejected > 1000 && seen.fastPath > 1200, JSON.stringify(seen));
  assert.ok(seen.excluded < 100, JSON.stringify(seen));
};

describe('mutated valid encodings: fast verdict === avsc-path verdict (ok, reason, detail, value)', () => {
  it('Trade', () => agree(tradeArb, encodeTrade, decodeTrade, decodeTradeAvsc));
  it('Fill', () => agree(fillArb, encodeFill, decodeFill, decodeFillAvsc));
});

// ---- the consumer's hot path ------------------------------------------------------------------------

/** readCleanTradeOf's fields as a Trade (conditions are not read: taken from the reference). */
const cleanAsTrade = (b: Uint8Array, conditions: string[]): Trade => ({
  symbol: Buffer.from(b.subarray(CLEAN_TRADE.symbolAt, CLEAN_TRADE.symbolEnd)).toString('latin1'),
  price: CLEAN_TRADE.price as Price,
  size: CLEAN_TRADE.size as Quantity,
  time: CLEAN_TRADE.time as EventTimeMs,
  conditions,
  seq: CLEAN_TRADE.seq,
});

/** True from readCleanTradeOf only where decodeTrade accepts, with the same fields; counts both. */
const cleanAgrees = (b: Uint8Array, seen: { clean: number; accepted: number }): void => {
  const clean = readCleanTradeOf(b);
  const ref = decodeTrade(b);
  if (ref.ok) seen.accepted++;
  if (!clean) return;
  seen.clean++;
  assert.ok(ref.ok, `readCleanTradeOf took what decodeTrade rejects: ${Buffer.from(b).toString('hex')}`);
  assert.deepStrictEqual(cleanAsTrade(b, ref.value.conditions), ref.value);
};

describe('readCleanTradeOf (the analytics processor reads trades in place)', () => {
  it('takes every valid trade, with the fields decodeTrade gives', () => {
    const seen = { clean: 0, accepted: 0 };
    fc.assert(
      fc.property(tradeArb, (t) => cleanAgrees(encodeTrade(t), seen)),
      { numRuns: 1000 },
    );
    assert.equal(seen.clean, seen.accepted);
    assert.equal(seen.clean, 1000);
  });

  it('takes nothing decodeTrade rejects: odd records, mutated encodings, oddities, traps', () => {
    const seen = { clean: 0, accepted: 0 };
    fc.assert(
      fc.property(oddTradeArb, (t) => cleanAgrees(encodeTradeAvsc(t), seen)),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(tradeArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (t, ms) => {
        let bytes = encodeTrade(t);
        for (const m of ms) bytes = mutate(bytes, m);
        cleanAgrees(bytes, seen);
      }),
      { numRuns: 3000 },
    );
    // Accepted records it leaves to decodeTrade (the fallback keeps them): oddities of the encoding.
    const head = [...str('AAPL'), ...dbl(190.5), ...dbl(100), ...zz(T)];
    const two = [...str('1'), ...str('12')];
    const leftToDecode = [
      [...head, ...zz(-2), ...zz(two.length), ...two, 0, ...zz(7)], // a negative block count
      [...str('AAPL'), ...dbl(190.5), ...dbl(100), ...zz(T), 0, ...zz(-1)], // seq -1: rejected
      [...str(''), ...dbl(190.5), ...dbl(100), ...zz(T), 0, ...zz(7)], // empty symbol: rejected
      [...str('AAPL'), ...dbl(0), ...dbl(100), ...zz(T), 0, ...zz(7)], // price 0: rejected
      [...head, 0, ...zz(7), 0], // a trailing byte: rejected
      [...head, ...zz(1), ...str('ABCDEFGHI'), 0, ...zz(7)], // a condition of 9 bytes (8 at most)
      [...str('ABCDEFGHIJKLMNOPQ'), ...dbl(190.5), ...dbl(100), ...zz(T), 0, ...zz(7)], // a symbol of 17
      [...head, ...zz(17), ...Array.from({ length: 17 }, () => str('F')).flat(), 0, ...zz(7)], // 17 conditions
      [...str('AA PL'), ...dbl(190.5), ...dbl(100), ...zz(T), 0, ...zz(7)], // a space: not a token
      [...str('AAPL'), ...dbl(190.5), ...dbl(100), ...zz(Date.UTC(2100, 0, 1) + 1), 0, ...zz(7)], // time
    ];
    for (const body of leftToDecode) {
      const b = frame(SCHEMA_IDS.Trade, body);
      assert.equal(readCleanTradeOf(b), false, Buffer.from(b).toString('hex'));
      cleanAgrees(b, seen);
    }
    // at the limits (8-byte conditions, a 16-byte symbol, 16 conditions in two blocks): clean
    const limits = frame(SCHEMA_IDS.Trade, [
      ...str('ABCDEFGHIJKLMNOP'),
      ...dbl(190.5),
      ...dbl(100),
      ...zz(T),
      ...zz(15),
      ...Array.from({ length: 15 }, () => str('ABCDEFGH')).flat(),
      ...zz(1),
      ...str('~!'),
      0,
      ...zz(7),
    ]);
    assert.equal(readCleanTradeOf(limits), true);
    cleanAgrees(limits, seen);
    // two blocks of positive counts: clean
    const twoBlocks = frame(SCHEMA_IDS.Trade, [
      ...head,
      ...zz(1),
      ...str('1'),
      ...zz(1),
      ...str('12'),
      0,
      ...zz(7),
    ]);
    assert.equal(readCleanTradeOf(twoBlocks), true);
    cleanAgrees(twoBlocks, seen);
    // The runs reached both sides: clean reads among the mutated encodings (98–129 in 15 runs of this
    // test; the bound once sat at 100 and failed ~1 run in 7) and accepted records it leaves to decodeTrade.
    assert.ok(seen.clean > 40 && seen.accepted > seen.clean, JSON.stringify(seen));
  });

  it('reads a view at a non-zero offset; a fill or a short header is not a trade', () => {
    const b = encodeTrade(trade({ symbol: 'MSFT', conditions: ['@', 'F'] }));
    const big = new Uint8Array(b.length + 37);
    big.set(b, 29);
    const view = big.subarray(29, 29 + b.length);
    assert.equal(readCleanTradeOf(view), true);
    assert.deepStrictEqual(cleanAsTrade(view, ['@', 'F']), trade({ symbol: 'MSFT', conditions: ['@', 'F'] }));
    assert.equal(readCleanTradeOf(encodeFill(fillArbSample())), false);
    assert.equal(readCleanTradeOf(Uint8Array.from([0, 0, 0])), false);
  });
});
