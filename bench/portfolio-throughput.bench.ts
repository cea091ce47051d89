// Fills applied per second on one core by the typed-array PositionBook, and by the whole PortfolioState
// (validation, holders index, firm aggregates) for Fill objects. Fills are pre-generated so the loop measures
// only the apply. Target: ≥ 1,000,000 fills/s.

import { eventTime, type Fill, price, quantity } from '../src/domain/types.ts';
import { Universe } from '../src/domain/universe.ts';
import { PositionBook } from '../src/portfolio/book.ts';
import { PortfolioState } from '../src/portfolio/portfolios.ts';
import { report } from './lib.ts';

const USERS = 1_000_000;
const SYMBOLS = 500;
const N = 4_000_000;
const universe = new Universe(Universe.default().infos.slice(0, SYMBOLS));

// Deterministic xorshift so every run sees the same fills.
let seed = 0x9e3779b9;
const rnd = (): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
};

const users = new Int32Array(N);
const syms = new Int32Array(N);
const qty = new Float64Array(N);
const prices = new Float64Array(N);
const times = new Float64Array(N);
const gen = (fiveSymbolsPerUser: boolean): void => {
  for (let i = 0; i < N; i++) {
    const u = Math.floor(rnd() * USERS);
    users[i] = u;
    // A user trades 5 symbols of their own, or any of the 500.
    syms[i] = fiveSymbolsPerUser
      ? (((u * 7) % SYMBOLS) + Math.floor(rnd() * 5) * 100) % SYMBOLS
      : Math.floor(rnd() * SYMBOLS);
    qty[i] = (1 + Math.floor(rnd() * 100)) * (rnd() < 0.5 ? -1 : 1);
    prices[i] = 10 + Math.floor(rnd() * 50_000) / 100;
    times[i] = 1_700_000_000_000 + i;
  }
};

// The machine is shared: report the rate per second of CPU time of this process as well as per wall second.
const timed = (name: string, ops: number, fn: () => void): void => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  report(name, ops / wall, 'fills/s');
  report(`${name}-cpu`, ops / ((c.user + c.system) / 1e6), 'fills/cpu-s');
};

const run = (name: string, book: PositionBook): void => {
  let pnl = 0;
  timed(name, N, () => {
    for (let i = 0; i < N; i++) pnl += book.applySigned(users[i]!, syms[i]!, qty[i]!, prices[i]!, times[i]!);
  });
  if (Number.isNaN(pnl)) throw new Error('unreachable: keeps pnl alive');
};

// 1. Users trading 5 symbols each: the first pass opens ~5M positions (index growth included), the second
//    updates existing ones.
gen(true);
let book = new PositionBook({ symbols: universe.symbols });
run('portfolio-fills-open', book);
console.log(`  positions: ${book.size}`);
run('portfolio-fills-update', book);
book.drainChanged(() => {});

// 2. Random (user, symbol) among 1M × 500: almost every fill opens a new position.
gen(false);
book = new PositionBook({ symbols: universe.symbols });
run('portfolio-fills-random-pairs', book);
console.log(`  positions: ${book.size}`);
book = new PositionBook({ symbols: [] });

// 3. The partition state end to end: Fill objects through validation, positions, holders and firm buckets.
gen(true);
const M = 1_000_000;
const fills: Fill[] = new Array(M);
for (let i = 0; i < M; i++) {
  fills[i] = {
    fillId: `f${i}`,
    user: users[i]!,
    symbol: universe.symbols[syms[i]!]!,
    side: qty[i]! > 0 ? 'buy' : 'sell',
    quantity: quantity(Math.abs(qty[i]!)),
    price: price(prices[i]!),
    time: eventTime(1_700_000_000_000 + i * 60), // ~1M fills over ~17 hours of 1-min buckets
  };
}
const state = new PortfolioState({ universe });
const out = { positions: [], values: [], firm: [] };
timed('portfolio-state-fills', M, () => {
  for (let i = 0; i < M; i++) {
    state.onFill(fills[i]!);
    if ((i & 0xffff) === 0xffff) {
      // Drain as the engine would between batches (outputs discarded here).
      state.drain(out);
      out.positions.length = 0;
      out.firm.length = 0;
    }
  }
});
