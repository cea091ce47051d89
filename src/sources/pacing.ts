// Pacing of event-time streams against the wall clock, shared by the simulators and replay.
//
// The clock is injected so that the pacing arithmetic is tested without sleeping: a test clock's sleep
// advances its own `now` and returns at once.
import { setImmediate as immediate, setTimeout as sleepTimer } from 'node:timers/promises';

export interface Clock {
  /** Wall-clock milliseconds (any origin; only differences are used). */
  now(): number;
  /** Resolves after `ms` (or at once when the signal aborts; it never rejects on abort). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    try {
      await sleepTimer(ms, undefined, signal === undefined ? undefined : { signal });
    } catch (e) {
      if (!(signal?.aborted ?? false)) throw e;
    }
  },
};

/** A clock for tests: `sleep` advances `now` instantly and records the requested waits. */
export class ManualClock implements Clock {
  t: number;
  readonly sleeps: number[] = [];
  constructor(start = 0) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += ms;
  }
}

/** Lets timers and I/O run between batches of a flat-out loop (a microtask await alone would starve them). */
export const yieldToEventLoop = (): Promise<void> => immediate();

/**
 * Maps event time to wall time: an event at `eventOrigin + Δ` is due at `wallOrigin + Δ / speed`.
 * speed = Infinity means "as fast as possible": everything is due at once.
 */
export class Pacer {
  private eventOrigin: number;
  private wallOrigin: number;
  readonly speed: number;
  /** Gaps in event time longer than this (in wall ms after scaling) are skipped, e.g. overnight on a tape. */
  readonly maxWaitMs: number;

  constructor(eventOrigin: number, wallOrigin: number, speed: number, maxWaitMs = Number.POSITIVE_INFINITY) {
    if (!(speed > 0)) throw new RangeError(`speed must be > 0, got ${speed}`);
    this.eventOrigin = eventOrigin;
    this.wallOrigin = wallOrigin;
    this.speed = speed;
    this.maxWaitMs = maxWaitMs;
  }

  /** Milliseconds to wait from `wallNow` until the event at `eventTime` is due; <= 0 means due now. */
  delayMs(eventTime: number, wallNow: number): number {
    if (this.speed === Number.POSITIVE_INFINITY) return 0;
    const d = (eventTime - this.eventOrigin) / this.speed - (wallNow - this.wallOrigin);
    if (d > this.maxWaitMs) {
      // Skip the idle gap: re-anchor so that this event is due now and later gaps keep their spacing.
      this.eventOrigin = eventTime;
      this.wallOrigin = wallNow;
      return 0;
    }
    return d;
  }
}
