// The fast Alert codec against the avsc path it replaces (decodeAlertAvsc, encodeAlertAvsc): the same
// bytes, the same verdicts for valid, odd, truncated and mutated inputs, and the wire bytes against a
// hand-built encoding from the Avro spec.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bytesEqual, dbl, frame, str, zz } from './avro-by-hand.ts';
import {
  decodeAlert,
  decodeAlertAvsc,
  encodeAlert,
  encodeAlertAvsc,
  encodeCandle,
  MAX_RECORD_BYTES,
  SCHEMA_IDS,
} from './codec.ts';
import { alertArb, candleArb } from './codec-arbitraries.ts';
import { decodeAlertFast, FAST_ALERT_ID, FAST_ALERT_WRITES } from './codec-fast-alert.ts';
import { mutate, mutationArb } from './codec-mutations.ts';
import { isTickstreamError } from './errors.ts';
import type { Alert, AlertKind, EventTimeMs } from './types.ts';
import { MAX_LONG, type Verdict } from './validate.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const T = 1_700_000_000_000;

const alert = (over: Partial<Alert> = {}): Alert => ({
  symbol: 'AAPL',
  time: T as EventTimeMs,
  kind: 'price_above',
  value: 191.25,
  threshold: 190,
  id: 'r42-AAPL-1700000000000',
  message: 'AAPL above 190 → 191.25',
  ...over,
});

const same = <V>(fast: Verdict<V>, ref: Verdict<V>, what = ''): void =>
  assert.deepStrictEqual(fast, ref, what);
const verdicts = (b: Uint8Array): Verdict<Alert> => {
  const fast = decodeAlert(b);
  same(fast, decodeAlertAvsc(b), hex(b));
  return fast;
};

// schemas/alert.v1's enum symbols written out here, not codec-checks' ALERT_KIND_ORDER: the wire-index
// test below checks that table against this independent copy (and against avsc).
const KINDS: AlertKind[] = [
  'move_vs_prev_close',
  'move_in_window',
  'price_above',
  'price_below',
  'pct_move',
  'volume_zscore',
  'return_zscore',
];
const anyText = (max: number) =>
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: max });
const anyAscii = (max: number) =>
  fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: max });
const edgeDouble = fc.oneof(
  fc.double(),
  fc.constantFrom(
    0,
    -0,
    Number.MIN_VALUE,
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    Number.NaN,
    Number.POSITIVE_INFINITY,
  ),
);
// avsc writes negative longs below -2^52 wrongly (see codec-fast.test.ts); keep to where it is exact.
const safeLong = fc.oneof(
  fc.integer({ min: -(2 ** 52), max: MAX_LONG }),
  fc.constantFrom(0, -1, 2 ** 52, -(2 ** 52), MAX_LONG),
);

/** Alerts avsc can write that may break every record rule (the encoders trust their input). */
const oddAlertArb: fc.Arbitrary<Alert> = fc.record(
  {
    symbol: fc.oneof(anyText(24), anyAscii(20)),
    time: safeLong.map((n) => n as EventTimeMs),
    kind: fc.constantFrom(...KINDS),
    value: edgeDouble,
    threshold: edgeDouble,
    user: fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.constant(null as unknown as number)),
    id: fc.oneof(anyText(140), anyAscii(140)),
    message: fc.oneof(anyText(1100), fc.string({ unit: 'grapheme', maxLength: 100 })),
  },
  { requiredKeys: ['symbol', 'time', 'kind', 'value', 'threshold', 'id', 'message'] },
);

/** The body of alert() by hand; user: the union bytes. */
const body = (user: number[] = [0], over: { kind?: number[]; message?: number[] } = {}): number[] => [
  ...str('AAPL'),
  ...zz(T),
  ...(over.kind ?? zz(2)),
  ...dbl(191.25),
  ...dbl(190),
  ...user,
  ...str('r42-AAPL-1700000000000'),
  ...(over.message ?? str('AAPL above 190 → 191.25')),
];

describe('binding', () => {
  it('the fast path reads and writes the registry’s current Alert schema; other bytes go to avsc', () => {
    assert.equal(FAST_ALERT_ID, SCHEMA_IDS.Alert);
    assert.equal(FAST_ALERT_WRITES, true);
    const good = encodeAlert(alert());
    assert.notEqual(decodeAlertFast(good, MAX_RECORD_BYTES), undefined);
    assert.equal(decodeAlertFast(good, good.length - 1), undefined);
    assert.equal(decodeAlertFast(encodeCandle(fc.sample(candleArb, 1)[0]!), MAX_RECORD_BYTES), undefined);
    assert.equal(decodeAlertFast(Uint8Array.from([0, 0, 0]), MAX_RECORD_BYTES), undefined);
  });
});

describe('encoding', () => {
  it('is the hand-built Avro of the spec, with and without a user', () => {
    bytesEqual(encodeAlert(alert()), frame(1004, body()));
    bytesEqual(encodeAlert(alert({ user: 2 ** 31 - 1 })), frame(1004, body([...zz(1), ...zz(2 ** 31 - 1)])));
    bytesEqual(encodeAlert({ ...alert(), user: null } as unknown as Alert), frame(1004, body()));
  });

  it('the same bytes as avsc for valid and odd alerts (any text, long messages, NaN, -0, any int)', () => {
    fc.assert(
      fc.property(fc.oneof(alertArb, oddAlertArb), (a) => bytesEqual(encodeAlert(a), encodeAlertAvsc(a))),
      { numRuns: 500 },
    );
  });

  it('refuses what avsc refuses, with a typed error', () => {
    const bad: [string, unknown][] = [
      ['symbol', 1],
      ['time', 1.5],
      ['time', MAX_LONG + 1],
      ['kind', 'PRICE_ABOVE'],
      ['kind', 0],
      ['kind', undefined],
      ['value', '1'],
      ['threshold', null],
      ['user', 2 ** 31],
      ['user', 1.5],
      ['user', '1'],
      ['user', true],
      ['id', undefined],
      ['message', 5],
    ];
    for (const [k, v] of bad) {
      const a = { ...alert(), [k]: v } as unknown as Alert;
      assert.throws(
        () => encodeAlertAvsc(a),
        (e) => isTickstreamError(e, 'VALIDATION_FAILED'),
        `avsc ${k}`,
      );
      assert.throws(
        () => encodeAlert(a),
        (e) => isTickstreamError(e, 'VALIDATION_FAILED'),
        `fast ${k}`,
      );
    }
    for (const v of [null, 5, 'alert']) {
      assert.throws(
        () => encodeAlert(v as unknown as Alert),
        (e) => isTickstreamError(e, 'VALIDATION_FAILED'),
      );
    }
    // Stricter than avsc, whose enum lookup finds Object.prototype's "constructor".
    assert.throws(
      () => encodeAlert(alert({ kind: 'constructor' as AlertKind })),
      (e) => isTickstreamError(e, 'VALIDATION_FAILED'),
    );
  });

  it('the size cap: exactly MAX_RECORD_BYTES is written, one byte more refused, like avsc', () => {
    const overhead = encodeAlertAvsc(alert({ message: 'x'.repeat(60_000) })).length - 60_000;
    const exact = alert({ message: 'x'.repeat(MAX_RECORD_BYTES - overhead) });
    assert.equal(encodeAlert(exact).length, MAX_RECORD_BYTES);
    bytesEqual(encodeAlert(exact), encodeAlertAvsc(exact));
    const over = alert({ message: 'x'.repeat(MAX_RECORD_BYTES - overhead + 1) });
    assert.throws(
      () => encodeAlertAvsc(over),
      (e) => isTickstreamError(e, 'VALIDATION_FAILED'),
    );
    assert.throws(
      () => encodeAlert(over),
      (e) => isTickstreamError(e, 'VALIDATION_FAILED'),
    );
  });
});

describe('decoding: the same verdicts as the avsc path', () => {
  it('round trip of valid alerts, and the same verdict for odd ones', () => {
    fc.assert(
      fc.property(alertArb, (a) => {
        const b = encodeAlert(a);
        same(decodeAlert(b), { ok: true, value: a });
        same(decodeAlertAvsc(b), { ok: true, value: a });
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(oddAlertArb, (a) => {
        const b = encodeAlertAvsc(a);
        verdicts(b);
      }),
      { numRuns: 500 },
    );
  });

  it('every truncation and a trailing byte: the same verdict', () => {
    const full = encodeAlert(alert({ user: 7 }));
    for (let n = 0; n < full.length; n++) assert.equal(verdicts(full.subarray(0, n)).ok, false);
    const v = verdicts(Uint8Array.from([...full, 0]));
    assert.equal(v.ok ? '' : v.detail, '1 trailing bytes after the record');
  });

  it('hand-built traps give the reference’s verdict, and the expected reason', () => {
    const cases: [string, number[], string, RegExp][] = [
      ['kind 7', body([0], { kind: zz(7) }), 'decode_error', /^kind: enum index 7 not in 0\.\.6$/],
      ['kind -1', body([0], { kind: zz(-1) }), 'decode_error', /kind: enum index -1/],
      ['kind 2^31', body([0], { kind: zz(2 ** 31) }), 'decode_error', /kind: int out of 32-bit range/],
      ['kind 2^40', body([0], { kind: zz(2 ** 40) }), 'decode_error', /kind: varint longer than 5 bytes/],
      ['user union 2', body(zz(2)), 'decode_error', /^user: union index 2 out of range$/],
      ['user 2^31', body([...zz(1), ...zz(2 ** 31)]), 'decode_error', /user<1>: int out of 32-bit range/],
      ['user -1', body([...zz(1), ...zz(-1)]), 'invalid_field', /user/],
      ['message length 2^40', body([0], { message: zz(2 ** 40) }), 'decode_error', /message: length/],
      [
        'message invalid UTF-8',
        body([0], { message: [...zz(3), 0x41, 0xc3, 0x28] }),
        'decode_error',
        /message: invalid UTF-8/,
      ],
      [
        'message of 1025 characters',
        body([0], { message: str('é'.repeat(1025)) }),
        'invalid_field',
        /message/,
      ],
      [
        'time in seconds',
        [...str('A'), ...zz(T / 1000), 0, ...dbl(1), ...dbl(1), 0, ...str('i'), ...str('')],
        'bad_timestamp',
        /time/,
      ],
      [
        'value NaN',
        [...str('A'), ...zz(T), 0, ...dbl(Number.NaN), ...dbl(1), 0, ...str('i'), ...str('')],
        'non_finite',
        /value/,
      ],
      [
        'threshold -Infinity',
        [...str('A'), ...zz(T), 0, ...dbl(1), ...dbl(Number.NEGATIVE_INFINITY), 0, ...str('i'), ...str('')],
        'non_finite',
        /threshold/,
      ],
      [
        'id with a space',
        [...str('A'), ...zz(T), 0, ...dbl(1), ...dbl(1), 0, ...str('a b'), ...str('')],
        'invalid_field',
        /id/,
      ],
      [
        'id of 129 characters',
        [...str('A'), ...zz(T), 0, ...dbl(1), ...dbl(1), 0, ...str('i'.repeat(129)), ...str('')],
        'invalid_field',
        /id/,
      ],
      [
        'empty symbol',
        [...str(''), ...zz(T), 0, ...dbl(1), ...dbl(1), 0, ...str('i'), ...str('')],
        'invalid_field',
        /symbol/,
      ],
    ];
    for (const [name, b, reason, detail] of cases) {
      const v = verdicts(frame(SCHEMA_IDS.Alert, b));
      assert.equal(v.ok, false, name);
      if (!v.ok) {
        assert.equal(v.reason, reason, `${name}: ${v.detail}`);
        assert.match(v.detail, detail, name);
      }
    }
    // Accepted: the largest user, every kind, an empty message of a BOM kept as is.
    for (let k = 0; k < 7; k++) {
      const v = verdicts(
        frame(
          SCHEMA_IDS.Alert,
          body([...zz(1), ...zz(2 ** 31 - 1)], { kind: zz(k), message: str('\uFEFF') }),
        ),
      );
      assert.deepStrictEqual(v, {
        ok: true,
        value: { ...alert({ kind: KINDS[k]!, message: '\uFEFF' }), user: 2 ** 31 - 1 },
      });
    }
  });
});

/** As codec-fast-candle.test.ts: tolerate only avsc's misreading of a long (time) below -2^52. */
const avscLongBug = (fast: Verdict<Alert>): boolean =>
  !fast.ok && (fast.detail.match(/-\d{16,}/g) ?? []).some((x) => Number(x) < -(2 ** 52));

describe('mutated valid encodings: fast verdict === avsc-path verdict', () => {
  it('Alert', () => {
    const seen = { ok: 0, rejected: 0, fastPath: 0, excluded: 0 };
    fc.assert(
      fc.property(alertArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (a, ms) => {
        let bytes = encodeAlert(a);
        for (const m of ms) bytes = mutate(bytes, m);
        const f = decodeAlert(bytes);
        const r = decodeAlertAvsc(bytes);
        if (avscLongBug(f)) {
          seen.excluded++;
          return;
        }
        same(f, r, hex(bytes));
        if (f.ok) seen.ok++;
        else seen.rejected++;
        if (decodeAlertFast(bytes, MAX_RECORD_BYTES) !== undefined) seen.fastPath++;
      }),
      { numRuns: 3000 },
    );
    assert.ok(seen.ok > 60 && seen.rejected > 1000 && seen.fastPath > 1500, JSON.stringify(seen));
    assert.ok(seen.excluded < 100, JSON.stringify(seen));
  });
});
