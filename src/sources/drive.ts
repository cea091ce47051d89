// Turns a synchronous event generator (the market simulator, the order flow) into an async stream of
// batches, either flat out or paced so that event times follow the wall clock.
import { type Clock, Pacer, systemClock, yieldToEventLoop } from './pacing.ts';

/** A generator of records in non-decreasing event time. */
export interface EventGenerator<T> {
  /** Event time (epoch ms) of the record the next `next()` returns. */
  peekTime(): number;
  next(): T;
}

export interface DriveOptions {
  /** 'max': flat out; a number: paced so that event time advances with the wall clock. */
  rate: number | 'max';
  /** Event time of the first record (the pacing origin). */
  startTime: number;
  /** Stop after this many records (default: never). */
  limit?: number;
  /** Records per yielded batch at most (default 1000). */
  batchSize?: number;
  signal?: AbortSignal;
  clock?: Clock;
}

/** The longest a paced loop sleeps at once, so an abort or a clock jump is noticed promptly. */
const MAX_SLEEP_MS = 250;

export async function* drive<T>(gen: EventGenerator<T>, opts: DriveOptions): AsyncGenerator<T[]> {
  const limit = opts.limit ?? Number.POSITIVE_INFINITY;
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 1000));
  const clock = opts.clock ?? systemClock;
  const signal = opts.signal;
  let produced = 0;

  if (opts.rate === 'max') {
    while (produced < limit && !(signal?.aborted ?? false)) {
      const n = Math.min(batchSize, limit - produced);
      const batch = new Array<T>(n);
      for (let i = 0; i < n; i++) batch[i] = gen.next();
      produced += n;
      yield batch;
      await yieldToEventLoop();
    }
    return;
  }

  if (!(opts.rate > 0) || !Number.isFinite(opts.rate))
    throw new RangeError(`rate must be > 0, got ${opts.rate}`);
  // The generator's nominal rate equals `rate`, so pacing at speed 1 gives `rate` records per wall second.
  const pacer = new Pacer(opts.startTime, clock.now(), 1);
  while (produced < limit && !(signal?.aborted ?? false)) {
    const now = clock.now();
    let batch: T[] | undefined;
    while (produced < limit && (batch?.length ?? 0) < batchSize && pacer.delayMs(gen.peekTime(), now) <= 0) {
      batch ??= [];
      batch.push(gen.next());
      produced++;
    }
    if (batch !== undefined) {
      yield batch;
      await yieldToEventLoop();
      continue;
    }
    const wait = pacer.delayMs(gen.peekTime(), now);
    await clock.sleep(Math.min(MAX_SLEEP_MS, Math.max(1, wait)), signal);
  }
}
