// Rows the store benchmarks write (store-sqlite, cassandra-write): batch n of `batch` candles or trades
// over `symbols`, deterministic, with new keys for every n (a stream) and the same rows for the same n
// (a replay). Candles carry the indicator maps a real one does; trades some with conditions.
import { type Candle, duration, eventTime, price, quantity, type Trade } from '../src/domain/types.ts';

const T0 = Date.UTC(2024, 0, 16, 9, 30);

export const candleRows = (n: number, batch: number, symbols: readonly string[]): Candle[] => {
  const out = new Array<Candle>(batch);
  for (let i = 0; i < batch; i++) {
    const k = n * batch + i;
    const p = 100 + (k % 97) * 0.01;
    out[i] = {
      symbol: symbols[k % symbols.length]!,
      intervalMs: duration(60_000),
      start: eventTime(T0 + Math.floor(k / symbols.length) * 60_000),
      open: price(p),
      high: price(p + 0.5),
      low: price(p - 0.5),
      close: price(p + 0.1),
      volume: quantity(1000 + (k % 13)),
      vwap: price(p + 0.05),
      trades: 42,
      final: k % 2 === 0,
      indicators: { sma: { 5: p, 20: p - 0.2 }, ema: { 12: p + 0.01 }, rsi: 51.3 },
    };
  }
  return out;
};

export const tradeRows = (n: number, batch: number, symbols: readonly string[]): Trade[] => {
  const out = new Array<Trade>(batch);
  for (let i = 0; i < batch; i++) {
    const k = n * batch + i;
    out[i] = {
      symbol: symbols[k % symbols.length]!,
      price: price(100 + (k % 101) * 0.01),
      size: quantity(1 + (k % 300)),
      time: eventTime(T0 + Math.floor(k / 10)),
      conditions: k % 5 === 0 ? ['@', 'I'] : [],
      seq: k,
    };
  }
  return out;
};
