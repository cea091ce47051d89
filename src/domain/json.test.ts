import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fillArb, tradeArb } from './codec-arbitraries.ts';
import { fillFromJson, findDuplicateKey, parseJsonLine, tradeFromJson } from './json.ts';
import type { Verdict } from './validate.ts';

const reason = <T>(v: Verdict<T>): string => (v.ok ? 'ok' : v.reason);
const T0 = Date.UTC(2024, 0, 2, 15, 30, 0, 250);

describe('parseJsonLine', () => {
  it('parses a JSON document', () => {
    assert.deepStrictEqual(parseJsonLine('{"a":[1,{"b":"x"}]}'), { ok: true, value: { a: [1, { b: 'x' }] } });
    assert.deepStrictEqual(parseJsonLine(' 42 '), { ok: true, value: 42 });
  });

  it('rejects text that is not JSON', () => {
    for (const t of ['', '{', '{"a":1,}', "{'a':1}", 'NaN', '{"a":1}{"b":2}']) {
      assert.equal(reason(parseJsonLine(t)), 'decode_error', t);
    }
  });

  it('rejects duplicate keys, which JSON.parse would silently collapse', () => {
    assert.deepStrictEqual(JSON.parse('{"price":1,"price":1000}'), { price: 1000 }); // the hazard
    const v = parseJsonLine('{"price":1,"price":1000}');
    assert.equal(reason(v), 'decode_error');
    assert.match((v as { detail: string }).detail, /duplicate key "price"/);
  });

  it('sees through escapes and finds duplicates at any depth, not in arrays or values', () => {
    assert.equal(findDuplicateKey('{"price":1,"\\u0070rice":2}'), 'price');
    assert.equal(findDuplicateKey('{"data":[{"s":"A","s":"B"}]}'), 's');
    assert.equal(findDuplicateKey('{"a":{"x":1},"b":{"x":1}}'), undefined);
    assert.equal(findDuplicateKey('{"a":"a","b":["a","a"],"c":{"a":"\\"a\\":"}}'), undefined);
    assert.equal(findDuplicateKey('{"a\\"":1,"a":2}'), undefined);
    assert.equal(findDuplicateKey('{"__proto__":1,"__proto__":2}'), '__proto__');
  });

  it('finds no duplicate in any JSON.stringify output, and always finds an injected one', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ maxLength: 8 }), (v, k) => {
        const text = JSON.stringify(v);
        assert.equal(findDuplicateKey(text), undefined);
        const key = JSON.stringify(k);
        const injected = `{${key}:${text},"pad":[${text}],${key}:null}`;
        assert.equal(findDuplicateKey(injected), k);
      }),
      { numRuns: 300 },
    );
  });

  it('bounds the size in UTF-8 bytes before parsing', () => {
    assert.equal(reason(parseJsonLine(`"${'a'.repeat(98)}"`, 100)), 'ok');
    assert.equal(reason(parseJsonLine(`"${'a'.repeat(99)}"`, 100)), 'oversized');
    // 'é' is 1 UTF-16 unit but 2 UTF-8 bytes: 2 + 2×50 = 102 bytes in 52 characters.
    assert.equal(reason(parseJsonLine(`"${'é'.repeat(50)}"`, 100)), 'oversized');
    assert.equal(reason(parseJsonLine(`"${'é'.repeat(49)}"`, 100)), 'ok');
    assert.equal(reason(parseJsonLine(`[${'1,'.repeat(40_000)}1]`)), 'oversized'); // default 64 KiB
  });

  it('survives deep nesting without recursion', () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    assert.equal(reason(parseJsonLine(deep)), 'ok');
    assert.equal(findDuplicateKey(`${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`), undefined);
  });
});

describe('tradeFromJson', () => {
  const good = { symbol: 'AAPL', price: 190.5, size: 100, time: T0, conditions: ['1', '12'], seq: 9 };

  it('accepts ms and ISO 8601 times; conditions and seq are optional', () => {
    assert.deepStrictEqual(tradeFromJson(good), { ok: true, value: good });
    const iso = tradeFromJson({ symbol: 'AAPL', price: 190.5, size: 100, time: '2024-01-02T15:30:00.250Z' });
    assert.deepStrictEqual(iso, { ok: true, value: { ...good, conditions: [], seq: 0 } });
    const offset = tradeFromJson({ ...good, time: '2024-01-02T17:30:00.250+02:00' });
    assert.equal(offset.ok && offset.value.time, T0);
    const micros = tradeFromJson({ ...good, time: '2024-01-02T15:30:00.250999Z' });
    assert.equal(micros.ok && micros.value.time, T0);
    assert.equal(reason(tradeFromJson({ ...good, conditions: null })), 'ok');
  });

  const cases: [string, unknown, string][] = [
    ['an array', [good], 'unknown_shape'],
    ['null', null, 'unknown_shape'],
    ['a string', 'AAPL', 'unknown_shape'],
    ['an unknown top-level key', { ...good, venue: 'XNAS' }, 'unknown_shape'],
    ['missing price', { symbol: 'AAPL', size: 1, time: T0 }, 'unknown_shape'],
    ['price as a string', { ...good, price: '190.5' }, 'invalid_field'],
    ['size as a string', { ...good, size: '100' }, 'invalid_field'],
    ['price null', { ...good, price: null }, 'invalid_field'],
    ['zero price', { ...good, price: 0 }, 'non_positive'],
    ['negative size', { ...good, size: -5 }, 'non_positive'],
    ['NaN price (from a JS caller)', { ...good, price: Number.NaN }, 'non_finite'],
    ['Infinity size', { ...good, size: Number.POSITIVE_INFINITY }, 'non_finite'],
    ['time in seconds', { ...good, time: 1_700_000_000 }, 'bad_timestamp'],
    ['ISO time without a zone', { ...good, time: '2024-01-02T15:30:00' }, 'bad_timestamp'],
    ['date only', { ...good, time: '2024-01-02' }, 'bad_timestamp'],
    ['impossible date', { ...good, time: '2024-13-45T99:00:00Z' }, 'bad_timestamp'],
    ['ISO time in 1970', { ...good, time: '1970-01-01T00:00:00Z' }, 'bad_timestamp'],
    ['time as a boolean', { ...good, time: true }, 'invalid_field'],
    ['a 10,000-character symbol', { ...good, symbol: 'A'.repeat(10_000) }, 'invalid_field'],
    [
      'too many conditions',
      { ...good, conditions: Array.from({ length: 1000 }, () => '1') },
      'invalid_field',
    ],
    ['a condition that is not a string', { ...good, conditions: [1] }, 'invalid_field'],
  ];
  for (const [name, input, expected] of cases) {
    it(`${name} → ${expected}`, () => assert.equal(reason(tradeFromJson(input)), expected));
  }

  it('a long hostile time string is rejected quickly (anchored pattern, length cap first)', () => {
    assert.equal(reason(tradeFromJson({ ...good, time: `${'1'.repeat(100_000)}Z` })), 'bad_timestamp');
  });

  it('round-trips every valid trade through JSON text', () => {
    fc.assert(
      fc.property(tradeArb, (t) => {
        const parsed = parseJsonLine(JSON.stringify(t));
        assert.ok(parsed.ok);
        assert.deepStrictEqual(tradeFromJson(parsed.value), { ok: true, value: t });
      }),
      { numRuns: 200 },
    );
  });
});

describe('fillFromJson', () => {
  const good = { fillId: 'f-1', user: 7, symbol: 'MSFT', side: 'sell', quantity: 2, price: 400, time: T0 };

  it('accepts a fill, with an ISO time too', () => {
    assert.deepStrictEqual(fillFromJson(good), { ok: true, value: good });
    assert.deepStrictEqual(fillFromJson({ ...good, time: '2024-01-02T15:30:00.250Z' }), {
      ok: true,
      value: good,
    });
  });

  const cases: [string, unknown, string][] = [
    ['an unknown key', { ...good, account: 'x' }, 'unknown_shape'],
    ['missing side', { fillId: 'f', user: 1, symbol: 'A', quantity: 1, price: 1, time: T0 }, 'unknown_shape'],
    ['side "hold"', { ...good, side: 'hold' }, 'invalid_field'],
    ['user as a string', { ...good, user: '7' }, 'invalid_field'],
    ['user 2^31', { ...good, user: 2 ** 31 }, 'invalid_field'],
    ['quantity 0', { ...good, quantity: 0 }, 'non_positive'],
    ['fillId of 65 characters', { ...good, fillId: 'x'.repeat(65) }, 'invalid_field'],
  ];
  for (const [name, input, expected] of cases) {
    it(`${name} → ${expected}`, () => assert.equal(reason(fillFromJson(input)), expected));
  }

  it('round-trips every valid fill through JSON text', () => {
    fc.assert(
      fc.property(fillArb, (f) => {
        assert.deepStrictEqual(fillFromJson(JSON.parse(JSON.stringify(f))), { ok: true, value: f });
      }),
      { numRuns: 200 },
    );
  });
});
