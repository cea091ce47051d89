// Resident memory of the position book at full scale: 10,000,000 users × 5 positions = 50,000,000 positions
// in one book, grown from empty (no pre-sizing). Target ≤ 4 GiB. Then the holders index on top.
// Needs --expose-gc (bench/run.ts passes it). Heavy: ~1 minute and ~3 GiB; run it alone.
import { Universe } from '../src/domain/universe.ts';
import { PositionBook } from '../src/portfolio/book.ts';
import { HoldersIndex } from '../src/portfolio/holders.ts';
import { report } from './lib.ts';

const USERS = 10_000_000;
const PER_USER = 5;
const SYMBOLS = 500;
const symbols = Universe.default().symbols.slice(0, SYMBOLS);

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc (node bench/run.ts portfolio-memory)');
const settle = (): NodeJS.MemoryUsage => {
  gc();
  gc();
  return process.memoryUsage();
};

const before = settle();
const book = new PositionBook({ symbols });
const t0 = performance.now();
let seed = 12345;
for (let u = 0; u < USERS; u++) {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  const base = seed % 100;
  // 5 distinct symbols per user: base + k·100.
  for (let k = 0; k < PER_USER; k++)
    book.applySigned(u, base + k * 100, 1 + (seed & 63), 10 + (seed % 5000) / 100, u);
}
// The engine drains changed positions after every batch; drain once here so the marks are in a steady state.
book.drainChanged(() => {});
const buildS = (performance.now() - t0) / 1000;
const m = settle();
const positions = book.size;
const heapAndBuffers = m.heapUsed + m.arrayBuffers - (before.heapUsed + before.arrayBuffers);
console.log(
  `  positions ${positions}, built in ${buildS.toFixed(1)} s (${(positions / buildS / 1e6).toFixed(2)} M fills/s)`,
);
console.log(`  book.byteSize ${book.byteSize}, index capacity ${book.indexCapacity}`);
report('portfolio-memory', m.rss, 'bytes');
report('portfolio-memory-heap-and-buffers', heapAndBuffers, 'bytes');
report('portfolio-memory-per-position', m.rss / positions, 'bytes');
report('portfolio-memory-book-per-position', book.byteSize / positions, 'bytes');

const holders = HoldersIndex.fromBook(book, SYMBOLS);
const h = settle();
report('portfolio-memory-with-holders', h.rss, 'bytes');
report('portfolio-memory-holders-per-position', holders.byteSize / positions, 'bytes');
report('portfolio-memory-peak-rss', process.resourceUsage().maxRSS * 1024, 'bytes');
console.log(`  holders of ${symbols[0]}: ${holders.count(0)}`);
