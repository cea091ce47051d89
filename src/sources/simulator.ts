// Market simulator: a stream of plausible trades for a universe of symbols, deterministic for a seed.
//
// - Arrivals are a Poisson process at a nominal rate (trades per second of event time).
// - The symbol of each trade is drawn with Zipf-like weights by rank within its sector, so the first
//   names of each sector (the table lists the largest first) trade far more often than the tail.
// - Each symbol's log price is a driftless random walk: a trade Δt ms after the symbol's previous one
//   moves it by σ_day · √(Δt / trading day) · z with z ~ N(0, 1), so the variance over a trading day is
//   σ_day² whatever the trade frequency. Prices are printed rounded to the cent.
// - Sizes: mostly round lots (100s), a quarter odd lots (1..99, condition 'I' as on the TAQ tape), a few
//   blocks (10,000+).
// - seq counts each symbol's trades from 1, so (symbol, seq) identifies a trade.
import type { EventTimeMs, Price, Quantity, Trade } from '../domain/types.ts';
import type { Universe } from '../domain/universe.ts';
import { drive } from './drive.ts';
import type { Clock } from './pacing.ts';
import { Random } from './random.ts';

/** 09:30 on 2024-01-02 in New York (14:30 UTC): the fixed start of deterministic runs. */
export const DETERMINISTIC_START_MS = Date.UTC(2024, 0, 2, 14, 30);
/** A US equity session, 09:30–16:00: the day over which daily volatility is quoted. */
export const TRADING_DAY_MS = 6.5 * 3600 * 1000;
/** Trades per second of event time when none is given (roughly the S&P 500's share of the US tape). */
export const DEFAULT_NOMINAL_RATE = 1000;

/**
 * The first seq of a live source's run that started at `startMs` (epoch ms): 1000 seqs per ms, so a run
 * started later numbers above every seq an earlier one used, unless a symbol had more than a million
 * trades per second in it. A restarted live source must not repeat (symbol, seq): the processors take a
 * repeat for a copy.
 */
export const liveFirstSeq = (startMs: number): number => startMs * 1000;

export interface TradeGeneratorOptions {
  universe: Universe;
  seed: number;
  /** Event time of the first trade, epoch ms (default: now). */
  startTime?: number;
  /** Trades per second of event time (default 1000). */
  nominalRate?: number;
  /** Zipf exponent of activity by rank within a sector (default 0.8; 0 = every symbol equally active). */
  activitySkew?: number;
  /** Each symbol's first seq (default 1). */
  firstSeq?: number;
}

export class TradeGenerator {
  readonly universe: Universe;
  private readonly rng: Random;
  private readonly logPrice: Float64Array;
  private readonly sigmaPerSqrtMs: Float64Array;
  private readonly lastTime: Float64Array;
  private readonly seqs: Float64Array;
  /** Cumulative activity weights, normalised so the last is 1. */
  private readonly cumulative: Float64Array;
  private readonly meanGapMs: number;
  /** Event time of the next trade, fractional ms; printed times are floored. */
  private clock: number;
  /** Trades generated so far. */
  count = 0;

  constructor(opts: TradeGeneratorOptions) {
    const { universe } = opts;
    const n = universe.size;
    if (n === 0) throw new RangeError('the universe is empty');
    const rate = opts.nominalRate ?? DEFAULT_NOMINAL_RATE;
    if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`nominalRate must be > 0, got ${rate}`);
    const start = opts.startTime ?? Date.now();
    this.universe = universe;
    this.rng = new Random(opts.seed);
    this.meanGapMs = 1000 / rate;
    this.logPrice = new Float64Array(n);
    this.sigmaPerSqrtMs = new Float64Array(n);
    this.lastTime = new Float64Array(n).fill(Math.floor(start));
    const firstSeq = opts.firstSeq ?? 1;
    if (!Number.isSafeInteger(firstSeq) || firstSeq < 0)
      throw new RangeError(`firstSeq must be a safe integer >= 0, got ${firstSeq}`);
    this.seqs = new Float64Array(n).fill(firstSeq - 1);
    this.cumulative = new Float64Array(n);
    const skew = opts.activitySkew ?? 0.8;
    const rankInSector = new Map<string, number>();
    let total = 0;
    for (let i = 0; i < n; i++) {
      const info = universe.info(i);
      this.logPrice[i] = Math.log(info.basePrice);
      this.sigmaPerSqrtMs[i] = info.volatility / Math.sqrt(TRADING_DAY_MS);
      const rank = rankInSector.get(info.sector) ?? 0;
      rankInSector.set(info.sector, rank + 1);
      total += 1 / (rank + 1) ** skew;
      this.cumulative[i] = total;
    }
    for (let i = 0; i < n; i++) this.cumulative[i] = (this.cumulative[i] as number) / total;
    this.clock = start;
  }

  /** Event time of the trade the next `next()` returns. */
  peekTime(): number {
    return Math.floor(this.clock);
  }

  /** The current (unrounded) price of a symbol: the order flow fills at it. */
  price(symbolIndex: number): number {
    return Math.exp(this.logPrice[symbolIndex] as number);
  }

  next(): Trade {
    const t: Trade = {
      symbol: '',
      price: 0 as Price,
      size: 0 as Quantity,
      time: 0 as EventTimeMs,
      conditions: [],
      seq: 0,
    };
    this.step(t);
    return t;
  }

  /** Overwrites the first `n` trades of `out` in place (no allocation for benchmarks and bulk loads). */
  fill(out: Trade[], n = out.length): void {
    for (let i = 0; i < n; i++) {
      const t = out[i];
      if (t === undefined) out[i] = this.next();
      else this.step(t);
    }
  }

  private pickSymbol(): number {
    const u = this.rng.uniform();
    const c = this.cumulative;
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((c[mid] as number) > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private pickSize(): number {
    const u = this.rng.uniform();
    if (u < 0.25) return this.rng.int(1, 99);
    if (u < 0.995) return 100 * (1 + Math.floor(this.rng.exponential(1.5)));
    return 100 * this.rng.int(100, 500);
  }

  private step(t: Trade): void {
    const time = Math.floor(this.clock);
    const i = this.pickSymbol();
    const dt = time - (this.lastTime[i] as number);
    if (dt > 0) {
      this.logPrice[i] =
        (this.logPrice[i] as number) +
        (this.sigmaPerSqrtMs[i] as number) * Math.sqrt(dt) * this.rng.gaussian();
      this.lastTime[i] = time;
    }
    const seq = (this.seqs[i] as number) + 1;
    this.seqs[i] = seq;
    const size = this.pickSize();
    t.symbol = this.universe.symbols[i] as string;
    t.price = Math.max(0.01, Math.round(Math.exp(this.logPrice[i] as number) * 100) / 100) as Price;
    t.size = size as Quantity;
    t.time = time as EventTimeMs;
    // Reuse the array in place (fill() recycles trades); odd lots carry TAQ's odd-lot condition.
    t.conditions.length = 0;
    if (size < 100) t.conditions.push('I');
    t.seq = seq;
    this.count++;
    this.clock += this.rng.exponential(this.meanGapMs);
  }
}

export interface SimulateTradesOptions {
  universe: Universe;
  seed: number;
  /** Event time of the first trade, epoch ms (default: now; pass DETERMINISTIC_START_MS for repeatable runs). */
  startTime?: number;
  /** Trades per wall-clock second, or 'max' for flat out (event time then advances at `nominalRate`). */
  rate: number | 'max';
  limit?: number;
  batchSize?: number;
  signal?: AbortSignal;
  /** Event-time trades per second in 'max' mode (default 1000), so candles still form. */
  nominalRate?: number;
  activitySkew?: number;
  clock?: Clock;
  /** Receives the generator, e.g. to hand its `price()` to the order flow. */
  onGenerator?: (g: TradeGenerator) => void;
}

/** Trades in batches; paced so that event time follows the wall clock unless rate is 'max'. */
export function simulateTrades(opts: SimulateTradesOptions): AsyncGenerator<Trade[]> {
  const startTime = opts.startTime ?? Date.now();
  const gen = new TradeGenerator({
    universe: opts.universe,
    seed: opts.seed,
    startTime,
    nominalRate: opts.rate === 'max' ? opts.nominalRate : opts.rate,
    activitySkew: opts.activitySkew,
  });
  opts.onGenerator?.(gen);
  return drive(gen, {
    rate: opts.rate,
    startTime,
    limit: opts.limit,
    batchSize: opts.batchSize,
    signal: opts.signal,
    clock: opts.clock,
  });
}
