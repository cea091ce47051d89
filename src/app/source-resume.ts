// Where a finite, deterministic source (a tape at full speed, a simulator with a fixed start) got to,
// so a restarted run continues instead of producing the same records again. The position is saved
// after each batch is acknowledged by the bus; a crash between the two re-sends at most one batch,
// which the processors drop as duplicates. Live sources (paced to the wall clock) start afresh.

import { fromJsonBytes, jsonBytes } from '../engine/snapshot.ts';
import type { Store } from '../store/port.ts';

const PROCESSOR = 'ingest';

export interface SourcePosition {
  /** What the source is (tape path and size, or simulator seed, start and rates): resume only the same one. */
  identity: string;
  /** Batches already on the bus. */
  batches: number;
  /** Records (events) already on the bus. */
  records: number;
}

export class SourceResume {
  private readonly store: Store;
  private readonly identity: string;
  private position: SourcePosition;

  private constructor(store: Store, identity: string, position: SourcePosition) {
    this.store = store;
    this.identity = identity;
    this.position = position;
  }

  static async load(store: Store, identity: string): Promise<SourceResume> {
    const cp = await store.loadCheckpoint(PROCESSOR, 0);
    let position: SourcePosition = { identity, batches: 0, records: 0 };
    if (cp !== undefined) {
      const saved = fromJsonBytes<SourcePosition>(cp.state);
      if (saved.identity === identity) position = saved;
    }
    return new SourceResume(store, identity, position);
  }

  /** Batches and records to skip: what an earlier run of the same source already produced. */
  get done(): Readonly<SourcePosition> {
    return this.position;
  }

  async advance(records: number): Promise<void> {
    this.position = {
      identity: this.identity,
      batches: this.position.batches + 1,
      records: this.position.records + records,
    };
    await this.store.saveCheckpoint({
      processor: PROCESSOR,
      partition: 0,
      offsets: {},
      state: jsonBytes(this.position),
      updatedAt: Date.now(),
    });
  }
}
