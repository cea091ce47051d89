import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_FINNHUB_TRADES, parseFinnhub } from './finnhub.ts';

describe('parseFinnhub', () => {
  it('maps a trade message (the shape Finnhub documents) onto trades', () => {
    const text =
      '{"data":[{"c":["1","12"],"p":7296.89,"s":"BINANCE:BTCUSDT","t":1575526691134,"v":0.011467},' +
      '{"p":190.12,"s":"AAPL","t":1575526691200,"v":100,"c":null}],"type":"trade"}';
    assert.deepStrictEqual(parseFinnhub(text), {
      trades: [
        {
          symbol: 'BINANCE:BTCUSDT',
          price: 7296.89,
          size: 0.011467,
          time: 1575526691134,
          conditions: ['1', '12'],
          seq: 0,
        },
        { symbol: 'AAPL', price: 190.12, size: 100, time: 1575526691200, conditions: [], seq: 1 },
      ],
      rejected: [],
    });
  });

  it('numeric condition codes become strings', () => {
    const r = parseFinnhub('{"type":"trade","data":[{"s":"AAPL","p":1,"t":1575526691200,"v":1,"c":[1,12]}]}');
    assert.deepStrictEqual(r.trades[0]?.conditions, ['1', '12']);
  });

  it('ping and other message types carry no trades and say what they were', () => {
    assert.deepStrictEqual(parseFinnhub('{"type":"ping"}'), { trades: [], rejected: [], other: 'ping' });
    assert.deepStrictEqual(parseFinnhub('{"type":"error","msg":"Subscribing to too many symbols"}'), {
      trades: [],
      rejected: [],
      other: 'error',
    });
    assert.equal(parseFinnhub(`{"type":"${'x'.repeat(500)}"}`).other?.length, 32);
  });

  it('rejects only the bad items of a message, each with its reason and index', () => {
    const text = JSON.stringify({
      type: 'trade',
      data: [
        { s: 'AAPL', p: 190, t: 1575526691200, v: 10 },
        { s: 'AAPL', p: '190', t: 1575526691200, v: 10 },
        { s: 'AAPL', p: 0, t: 1575526691200, v: 10 },
        { s: 'AAPL', p: 190, t: 1575526691, v: 10 },
        { s: 'AAPL', p: 190, t: 1575526691200 },
        { s: 'AAPL', p: 190, t: 1575526691200, v: 10, x: 1 },
        { s: '', p: 190, t: 1575526691200, v: 10 },
        { s: 'AAPL', p: 190, t: 1575526691200, v: 10, c: 'oops' },
        'not an item',
        { s: 'MSFT', p: 400, t: 1575526691300, v: 5 },
      ],
    });
    const r = parseFinnhub(text);
    assert.deepStrictEqual(
      r.trades.map((t) => [t.symbol, t.seq]),
      [
        ['AAPL', 0],
        ['MSFT', 9],
      ],
    );
    assert.deepStrictEqual(
      r.rejected.map((x) => x.reason),
      [
        'invalid_field',
        'non_positive',
        'bad_timestamp',
        'unknown_shape',
        'unknown_shape',
        'invalid_field',
        'invalid_field',
        'unknown_shape',
      ],
    );
    assert.match(r.rejected[0]!.detail, /^data\[1\]: price must be a number/);
    assert.equal(r.other, undefined);
  });

  it('malformed messages are rejected whole', () => {
    const cases: [string, string][] = [
      ['', 'decode_error'],
      ['{"type":"trade","data":[', 'decode_error'],
      ['{"type":"trade","data":[],"type":"ping"}', 'decode_error'], // duplicate key
      ['{"type":"trade","data":[{"s":"A","s":"B","p":1,"t":1575526691200,"v":1}]}', 'decode_error'],
      ['[1,2]', 'unknown_shape'],
      ['"trade"', 'unknown_shape'],
      ['{"data":[]}', 'unknown_shape'],
      ['{"type":7}', 'unknown_shape'],
      ['{"type":"trade"}', 'unknown_shape'],
      ['{"type":"trade","data":{}}', 'unknown_shape'],
      ['{"type":"trade","data":[],"extra":1}', 'unknown_shape'],
    ];
    for (const [text, reason] of cases) {
      const r = parseFinnhub(text);
      assert.equal(r.trades.length, 0, text);
      assert.deepStrictEqual(
        r.rejected.map((x) => x.reason),
        [reason],
        text,
      );
    }
  });

  it('bounds the data array and the message size', () => {
    const item = '{"s":"A","p":1,"t":1575526691200,"v":1}';
    const tooMany = `{"type":"trade","data":[${Array(MAX_FINNHUB_TRADES + 1)
      .fill(item)
      .join(',')}]}`;
    assert.deepStrictEqual(
      parseFinnhub(tooMany).rejected.map((x) => x.reason),
      ['oversized'],
    );
    const justRight = `{"type":"trade","data":[${Array(MAX_FINNHUB_TRADES).fill(item).join(',')}]}`;
    assert.equal(parseFinnhub(justRight).trades.length, MAX_FINNHUB_TRADES);
    const huge = `{"type":"trade","data":[],"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`;
    assert.deepStrictEqual(
      parseFinnhub(huge).rejected.map((x) => x.reason),
      ['oversized'],
    );
  });
});
