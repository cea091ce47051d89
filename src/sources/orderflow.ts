// Order flow: executions (fills) of many users, deterministic for a seed, with no per-user storage.
//
// A user's tradable symbols are a subset of the universe of 1..500 symbols, derived from hash(seed, user):
// its size from one hash, its members as the first k images of a keyed pseudo-random permutation of the
// symbol indices (a 4-round Feistel network on a power-of-two domain, cycle-walked into 0..U-1). So the
// subset is stable per user, its members are distinct, and 10,000,000 users cost nothing in memory.
//
// Sides are biased towards buys early on so positions build up (P(buy) falls from 0.72 to 0.52 over the
// warm-up), stateless by design: some users will sell what they never bought and go short, which the
// portfolio side must handle anyway. Prices come from a lookup of the current market price (the
// simulator's), plus a small half-spread; fill ids are `<prefix><counter in base 36>`, unique and the same
// on every run with the same seed.
import type { EventTimeMs, Fill, Price, Quantity, Side } from '../domain/types.ts';
import type { Universe } from '../domain/universe.ts';
import { drive } from './drive.ts';
import type { Clock } from './pacing.ts';
import { hash2, hash3, Random, toUnit } from './random.ts';

export const MAX_SYMBOLS_PER_USER = 500;
export const MAX_USERS = 10_000_000;
/** Fills per second of event time when none is given. */
export const DEFAULT_FILL_RATE = 1000;

export interface FillGeneratorOptions {
  universe: Universe;
  seed: number;
  /** Number of users; ids are 0..users-1 (at most 10,000,000). */
  users: number;
  /** Current market price of a symbol index (default: the universe's base price). */
  priceOf?: (symbolIndex: number) => number;
  /** Event time of the first fill, epoch ms (default: now). */
  startTime?: number;
  /** Fills per second of event time (default 1000). */
  nominalRate?: number;
  /** Fills over which the buy bias fades (default: max(10,000, users)). */
  warmupFills?: number;
  /** Prefix of fill ids (default `f<seed in base 36>-`); give each concurrent generator its own. */
  idPrefix?: string;
}

/** A keyed permutation of 0..size-1, evaluated one index at a time. */
class KeyedPermutation {
  private readonly size: number;
  private readonly halfBits: number;
  private readonly halfMask: number;

  constructor(size: number) {
    this.size = size;
    let bits = 2;
    while (2 ** bits < size) bits += 2; // even, so the Feistel halves are balanced
    this.halfBits = bits / 2;
    this.halfMask = (1 << this.halfBits) - 1;
  }

  private feistel(x: number, key: number): number {
    let l = x >>> this.halfBits;
    let r = x & this.halfMask;
    for (let round = 0; round < 4; round++) {
      const f = hash3(key, round, r) & this.halfMask;
      const nl = r;
      r = l ^ f;
      l = nl;
    }
    return (l << this.halfBits) | r;
  }

  /** Image of `i` (0 <= i < size) under the permutation for `key`. */
  apply(i: number, key: number): number {
    // Cycle walking: a permutation of the power-of-two domain restricted to 0..size-1 by re-applying it
    // until the value falls inside; it stays a bijection on 0..size-1. Expected < 2 rounds here.
    let x = this.feistel(i, key);
    while (x >= this.size) x = this.feistel(x, key);
    return x;
  }
}

export class FillGenerator {
  readonly universe: Universe;
  readonly users: number;
  private readonly seed: number;
  private readonly rng: Random;
  private readonly perm: KeyedPermutation;
  private readonly maxSymbols: number;
  private readonly priceOf: (symbolIndex: number) => number;
  private readonly meanGapMs: number;
  private readonly warmup: number;
  private readonly idPrefix: string;
  private clock: number;
  /** Fills generated so far. */
  count = 0;

  constructor(opts: FillGeneratorOptions) {
    const { universe, users } = opts;
    if (universe.size === 0) throw new RangeError('the universe is empty');
    if (!Number.isInteger(users) || users < 1 || users > MAX_USERS) {
      throw new RangeError(`users must be an integer in 1..${MAX_USERS}, got ${users}`);
    }
    const rate = opts.nominalRate ?? DEFAULT_FILL_RATE;
    if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`nominalRate must be > 0, got ${rate}`);
    this.universe = universe;
    this.users = users;
    this.seed = opts.seed | 0;
    this.rng = new Random(hash2(opts.seed, 0x0f111));
    this.perm = new KeyedPermutation(universe.size);
    this.maxSymbols = Math.min(MAX_SYMBOLS_PER_USER, universe.size);
    this.priceOf = opts.priceOf ?? ((i) => universe.info(i).basePrice);
    this.meanGapMs = 1000 / rate;
    this.warmup = opts.warmupFills ?? Math.max(10_000, users);
    this.idPrefix = opts.idPrefix ?? `f${(opts.seed >>> 0).toString(36)}-`;
    this.clock = opts.startTime ?? Date.now();
  }

  /** How many symbols `user` trades: 1..500, skewed towards few (most accounts hold a handful). */
  userSymbolCount(user: number): number {
    const u = toUnit(hash2(this.seed, user));
    return 1 + Math.floor((this.maxSymbols - 1) * u * u * u + 0.5 * u);
  }

  /** The j-th symbol index (0 <= j < userSymbolCount(user)) of the user's subset. */
  userSymbol(user: number, j: number): number {
    return this.perm.apply(j, hash3(this.seed, user, 0x5b1));
  }

  /** The user's whole subset (for tests and inspection; the hot path never materialises it). */
  userSymbols(user: number): number[] {
    const k = this.userSymbolCount(user);
    const out = new Array<number>(k);
    for (let j = 0; j < k; j++) out[j] = this.userSymbol(user, j);
    return out;
  }

  peekTime(): number {
    return Math.floor(this.clock);
  }

  next(): Fill {
    const f: Fill = {
      fillId: '',
      user: 0,
      symbol: '',
      side: 'buy',
      quantity: 0 as Quantity,
      price: 0 as Price,
      time: 0 as EventTimeMs,
    };
    this.step(f);
    return f;
  }

  /** Overwrites the first `n` fills of `out` in place. */
  fill(out: Fill[], n = out.length): void {
    for (let i = 0; i < n; i++) {
      const f = out[i];
      if (f === undefined) out[i] = this.next();
      else this.step(f);
    }
  }

  private step(f: Fill): void {
    const rng = this.rng;
    const user = rng.below(this.users);
    const symbolIndex = this.userSymbol(user, rng.below(this.userSymbolCount(user)));
    const fade = Math.max(0, 1 - this.count / this.warmup);
    const side: Side = rng.uniform() < 0.52 + 0.2 * fade ? 'buy' : 'sell';
    // Retail-sized orders mostly, now and then a round lot of some hundreds.
    const qty = rng.chance(0.05) ? 100 * rng.int(1, 10) : 1 + Math.floor(rng.exponential(20));
    const mid = this.priceOf(symbolIndex);
    // Buyers pay up to ~2 bp over the mid, sellers receive up to ~2 bp under it.
    const slip = 1 + (side === 'buy' ? 1 : -1) * 0.0002 * rng.uniform();
    f.fillId = this.idPrefix + this.count.toString(36);
    f.user = user;
    f.symbol = this.universe.symbols[symbolIndex] as string;
    f.side = side;
    f.quantity = qty as Quantity;
    f.price = Math.max(0.01, Math.round(mid * slip * 100) / 100) as Price;
    f.time = Math.floor(this.clock) as EventTimeMs;
    this.count++;
    this.clock += rng.exponential(this.meanGapMs);
  }
}

export interface SimulateFillsOptions extends Omit<FillGeneratorOptions, 'nominalRate'> {
  /** Fills per wall-clock second, or 'max' for flat out (event time then advances at `nominalRate`). */
  rate: number | 'max';
  nominalRate?: number;
  limit?: number;
  batchSize?: number;
  signal?: AbortSignal;
  clock?: Clock;
}

export function simulateFills(opts: SimulateFillsOptions): AsyncGenerator<Fill[]> {
  const startTime = opts.startTime ?? Date.now();
  const gen = new FillGenerator({
    ...opts,
    startTime,
    nominalRate: opts.rate === 'max' ? opts.nominalRate : opts.rate,
  });
  return drive(gen, {
    rate: opts.rate,
    startTime,
    limit: opts.limit,
    batchSize: opts.batchSize,
    signal: opts.signal,
    clock: opts.clock,
  });
}
