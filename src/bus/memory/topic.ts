// An in-process topic: its partition logs and the consumers currently sleeping until it gets records.

import { PartitionLog, type RetentionLimits } from './partition-log.ts';

export interface Sleeper {
  wake(): void;
}

export class MemoryTopic {
  readonly name: string;
  readonly partitions: readonly PartitionLog[];
  /** Consumers waiting for new records on this topic; woken once per `send`, not once per record. */
  readonly sleepers = new Set<Sleeper>();

  constructor(name: string, partitions: number, chunkSize: number, retention: RetentionLimits) {
    this.name = name;
    this.partitions = Array.from(
      { length: partitions },
      (_, p) => new PartitionLog(name, p, chunkSize, retention),
    );
  }

  wakeSleepers(): void {
    if (this.sleepers.size === 0) return;
    // Copy first: a woken consumer removes itself from the set.
    for (const s of [...this.sleepers]) s.wake();
  }
}
