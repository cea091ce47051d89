// Per-partition event-time watermark: the highest event time seen minus the allowed lateness.
// A record older than the watermark is late (its windows may already be closed): it goes to
// deadletter, never silently dropped. Windows close when the watermark passes their end.
import type { DurationMs, EventTimeMs } from '../domain/types.ts';

export class Watermark {
  private maxSeen = Number.NEGATIVE_INFINITY;
  readonly allowedLateness: DurationMs;

  constructor(allowedLateness: DurationMs, maxSeen?: number) {
    this.allowedLateness = allowedLateness;
    if (maxSeen !== undefined) this.maxSeen = maxSeen;
  }

  /** Current watermark (−∞ before the first record). */
  get value(): EventTimeMs {
    return (this.maxSeen - this.allowedLateness) as EventTimeMs;
  }

  get maxEventTime(): number {
    return this.maxSeen;
  }

  isLate(t: EventTimeMs): boolean {
    return t < this.maxSeen - this.allowedLateness;
  }

  /** Records an accepted event time; returns true when the watermark moved. */
  observe(t: EventTimeMs): boolean {
    if (t > this.maxSeen) {
      this.maxSeen = t;
      return true;
    }
    return false;
  }

  /** End of input: every window may close. */
  close(): void {
    this.maxSeen = Number.POSITIVE_INFINITY;
  }
}
