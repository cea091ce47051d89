// Trades through the bus codec (Avro, Confluent framing, bounds pre-scan and checks on decode) next to
// JSON.stringify / JSON.parse of the same records in the same run, plus bytes per record.
// `codec-avsc-raw-decode` is avsc alone on the same bodies (no pre-scan, no checks, no plain-object copy):
// the difference to codec-avro-decode is what the hostile-input guards cost.
// `codec-avro-*` is the guarded avsc path (decodeTradeAvsc/encodeTradeAvsc, the reference);
// `codec-fast-*` is what decodeTrade/encodeTrade run: the hand-written readers and writers of
// codec-fast.ts, with the same guards and checks inline (and the same verdicts, see codec-fast.test.ts).
// `codec-avro-candle-*` / `codec-fast-candle-*`: the same for candles as the analytics processor emits
// them (default indicators: SMA 5/10, EMA 12/26, RSI, Bollinger; one in eight still warming up), the
// avsc reference (encodeCandleAvsc/decodeCandleAvsc) against encodeCandle/decodeCandle (codec-fast-candle.ts);
// `codec-*-alert-*` likewise for alerts (codec-fast-alert.ts).

import {
  decodeAlert,
  decodeAlertAvsc,
  decodeCandle,
  decodeCandleAvsc,
  decodeFill,
  decodeTrade,
  decodeTradeAvsc,
  encodeAlert,
  encodeAlertAvsc,
  encodeCandle,
  encodeCandleAvsc,
  encodeFill,
  encodeTrade,
  encodeTradeAvsc,
} from '../src/domain/codec.ts';
import { latest } from '../src/domain/codec-schemas.ts';
import { parseJsonLine, tradeFromJson } from '../src/domain/json.ts';
import type {
  Alert,
  Candle,
  DurationMs,
  EventTimeMs,
  Fill,
  IndicatorValues,
  Price,
  Quantity,
  Trade,
} from '../src/domain/types.ts';
import { rate, report } from './lib.ts';

const N = 10_000;
const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'GOOGL', 'META', 'BRK.B', 'JPM', 'XOM', 'UNH'];
const CONDITIONS: string[][] = [[], ['1'], ['1', '12'], ['@', 'F', 'T']];

// Deterministic LCG so every run measures the same records.
let seed = 12345;
const rnd = (): number => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};

const trades: Trade[] = Array.from({ length: N }, (_, i) => ({
  symbol: SYMBOLS[i % SYMBOLS.length]!,
  price: (Math.round((50 + rnd() * 450) * 100) / 100) as Price,
  size: (1 + Math.floor(rnd() * 500)) as Quantity,
  time: (1_700_000_000_000 + i * 7) as EventTimeMs,
  conditions: CONDITIONS[i % CONDITIONS.length]!,
  seq: i,
}));

const encoded = trades.map(encodeTrade);
const texts = trades.map((t) => JSON.stringify(t));
for (let i = 0; i < N; i++) {
  const v = decodeTrade(encoded[i]!);
  if (!v.ok) throw new Error(`bench input does not decode: ${v.detail}`);
}

let sink = 0; // keeps results alive so the work is not optimized away

report(
  'codec-avro-encode',
  Math.round(
    rate(() => {
      for (let i = 0; i < N; i++) sink += encodeTradeAvsc(trades[i]!).length;
    }, N),
  ),
  'records/s',
);
report(
  'codec-fast-encode',
  Math.round(
    rate(() => {
      for (let i = 0; i < N; i++) sink += encodeTrade(trades[i]!).length;
    }, N),
  ),
  'records/s',
);
report(
  'codec-avro-decode',
  Math.round(
    rate(() => {
      for (let i = 0; i < N; i++) if (decodeTradeAvsc(encoded[i]!).ok) sink++;
    }, N),
  ),
  'records/s',
);
report(
  'codec-fast-decode',
  Math.round(
    rate(() => {
      for (let i = 0; i < N; i++) if (decodeTrade(encoded[i]!).ok) sink++;
    }, N),
  ),
  'records/s',
);
// Fills as the order-flow source makes them (prefix + base-36 counter ids).
const fills: Fill[] = trades.map((t, i) => ({
  fillId: `f9ix-${(1_000_000 + i).toString(36)}`,
  user: Math.floor(rnd() * 10_000_000),
  symbol: t.symbol,
  side: i % 2 === 0 ? 'buy' : 'sell',
  quantity: t.size,
  price: t.price,
  time: t.time,
}));
const encodedFills = fills.map(encodeFill);
report(
  'codec-fast-decode-fill',
  Math.round(
    rate(() => {
      for (let i = 0; i < N; i++) if (decodeFill(encodedFills[i]!).ok) sink++;
    }, N),
  ),
  'records/s',
);

// Candles: one per trade's symbol and minute, with the prices of the trades around it.
const candles: Candle[] = trades.map((t, i) => {
  const p = t.price;
  const open = p;
  const close = (Math.round(p * (1 + (rnd() - 0.5) / 50) * 100) / 100) as Price;
  const high = (Math.max(open, close) + Math.round(rnd() * 100) / 100) as Price;
  const low = (Math.min(open, close) - Math.round(rnd() * 100) / 100) as Price;
  const warm = i % 8 !== 0;
  const indicators: IndicatorValues = warm
    ? {
        sma: { 5: p * 1.001, 10: p * 0.999 },
        ema: { 12: p * 1.0005, 26: p * 0.9995 },
        rsi: 30 + rnd() * 40,
        bollinger: { upper: p * 1.02, middle: p, lower: p * 0.98 },
      }
    : { sma: { 5: p * 1.001 } };
  return {
    symbol: t.symbol,
    intervalMs: 60_000 as DurationMs,
    start: (Math.floor(t.time / 60_000) * 60_000) as EventTimeMs,
    open,
    high,
    low,
    close,
    volume: (t.size * 7) as Quantity,
    vwap: ((open + close) / 2) as Price,
    trades: 1 + (i % 40),
    final: i % 5 === 0,
    indicators,
  };
});
const encodedCandles = candles.map(encodeCandle);
for (let i = 0; i < N; i++) {
  const v = decodeCandle(encodedCandles[i]!);
  if (!v.ok) throw new Error(`bench candle does not decode: ${v.detail}`);
}
report(
  'codec-avro-candle-encode',
  Math.round(
    rate(() => {
      for (let i = 0; i < N; i++) sink += encodeCandleAvsc(candles[i]!).length;
    }, N),
  ),
  'records/s',
);
report(
  'codec-fast-candle-encode',
  Math.round(
    rate(() => {
      for (let i = 0; i < N; i++) sink += encodeCandle(candles[i]!).length;
    }, N),
  ),
  'records/s',
);
report(
  'codec-avro-candle-decode',
  Math.round(
    rate(() => {
      for (let i = 0; i < N; i++) if (decodeCandleAvsc(encodedCandles[i]!).ok) sink++;
    }, N),
  ),
  'records/s',
);
report(
  'codec-fast-candle-decode',
  Math.round(
    rate(() => {
      for (let i = 0; i < N; i++) if (decodeCandle(encodedCandles[i]!).ok) sink++;
    }, N),
  ),
  'records/s',
);
report('codec-candle-bytes', encodedCandles.reduce((s, b) => s + b.length, 0) / N, 'bytes/record');

// Alerts as the market rules word them (analytics/alerts): a stable id and a short message, no user.
const alerts: Alert[] = candles.map((c, i) => ({
  symbol: c.symbol,
  time: (c.start + 59_000) as EventTimeMs,
  kind: i % 2 === 0 ? 'move_in_window' : 'volume_zscore',
  value: c.close / c.open - 1,
  threshold: 0.02,
  id: `${c.symbol}-mw-${c.start}`,
  message: `${c.symbol} moved ${((c.close / c.open - 1) * 100).toFixed(2)}% in 5m`,
}));
const encodedAlerts = alerts.map(encodeAlert);
const alertLine = (name: string, fn: (i: number) => void): void =>
  report(
    name,
    Math.round(
      rate(() => {
        for (let i = 0; i < N; i++) fn(i);
      }, N),
    ),
    'records/s',
  );
alertLine('codec-avro-alert-encode', (i) => {
  sink += encodeAlertAvsc(alerts[i]!).length;
});
alertLine('codec-fast-alert-encode', (i) => {
  sink += encodeAlert(alerts[i]!).length;
});
alertLine('codec-avro-alert-decode', (i) => {
  if (decodeAlertAvsc(encodedAlerts[i]!).ok) sink++;
});
alertLine('codec-fast-alert-decode', (i) => {
  if (decodeAlert(encodedAlerts[i]!).ok) sink++;
});

const rawType = latest('Trade').type;
const bodies = encoded.map((b) => Buffer.from(b.buffer, b.byteOffset, b.length));
report(
  'codec-avsc-raw-decode',
  Math.round(
    rate(() => {
      for (let i = 0; i < N; i++) if (rawType.decode(bodies[i]!, 5).offset > 0) sink++;
    }, N),
  ),
  'records/s',
);
report(
  'codec-json-stringify',
  Math.round(
    rate(() => {
      for (let i = 0; i < N; i++) sink += JSON.stringify(trades[i]).length;
    }, N),
  ),
  'records/s',
);
report(
  'codec-json-parse',
  Math.round(
    rate(() => {
      for (let i = 0; i < N; i++) if (JSON.parse(texts[i]!) !== null) sink++;
    }, N),
  ),
  'records/s',
);
report(
  'codec-json-parse-validated',
  Math.round(
    rate(() => {
      for (let i = 0; i < N; i++) {
        const p = parseJsonLine(texts[i]!);
        if (p.ok && tradeFromJson(p.value).ok) sink++;
      }
    }, N),
  ),
  'records/s',
);

const avroBytes = encoded.reduce((s, b) => s + b.length, 0) / N;
const jsonBytes = texts.reduce((s, t) => s + Buffer.byteLength(t), 0) / N;
report('codec-avro-bytes', avroBytes, 'bytes/record');
report('codec-json-bytes', jsonBytes, 'bytes/record');
if (sink === 0) console.log('unreachable');
