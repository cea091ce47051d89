// Retry with capped exponential backoff for retryable failures (a broker or database that is down):
// the processor pauses and resumes instead of dying or dropping data. Non-retryable errors surface.
import { isTickstreamError } from '../domain/errors.ts';

export interface RetryOptions {
  initialMs?: number;
  maxMs?: number;
  /** Give up after this long (default: never — a processor waits for its infrastructure to return). */
  deadlineMs?: number;
  signal?: AbortSignal;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

export const isRetryable = (e: unknown): boolean => isTickstreamError(e) && e.retryable;

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const initial = opts.initialMs ?? 100;
  const max = opts.maxMs ?? 5000;
  const start = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isRetryable(e) || opts.signal?.aborted) throw e;
      if (opts.deadlineMs !== undefined && Date.now() - start > opts.deadlineMs) throw e;
      const delay = Math.min(max, initial * 2 ** Math.min(attempt - 1, 16)) * (0.75 + Math.random() * 0.5);
      opts.onRetry?.(e, attempt, delay);
      await sleep(delay, opts.signal);
    }
  }
}
