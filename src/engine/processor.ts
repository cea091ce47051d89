// What a processor is, as the runtime sees it: one task per input partition, fed batches of records,
// holding keyed state that can be snapshotted, and writing its outputs (idempotent upserts or derived
// topics) when the runtime flushes before a checkpoint.
import type { BusRecord } from '../bus/port.ts';
import type { DeadletterReason } from '../domain/types.ts';

export interface TaskContext {
  /** Sends the record to deadletter with a reason; it counts as handled (in = processed + deadlettered). */
  deadletter(record: BusRecord, reason: DeadletterReason, detail: string): void;
}

export interface PartitionTask {
  /** Applies records in offset order. Must not throw on bad input: bad records go to ctx.deadletter. */
  process(records: readonly BusRecord[], ctx: TaskContext): void;
  /** Writes what was produced since the last flush (idempotent: a replay writes the same rows again). */
  flush(): Promise<void>;
  /**
   * Outputs held back that a flush would write even with no new input (e.g. rate-limited provisional
   * bars): the runtime then flushes and checkpoints the partition once more although its position did
   * not move, so they reach downstream when the input stops.
   */
  holdsOutput?(): boolean;
  /** State for the checkpoint; called right after a successful flush. */
  snapshot(): Uint8Array;
  /** End of input (a finished replay): close every window so final results are produced. */
  finish?(): void;
  /** The partition was revoked (after its last flush): release what the task registered elsewhere. */
  close?(): void;
}

export interface ProcessorSpec {
  /** Processor name: the checkpoint key and the consumer group (unless `group` is given). */
  name: string;
  topic: string;
  group?: string;
  /**
   * Stateful processors checkpoint state + offsets in one store write and resume from it; stateless
   * ones (sinks) resume from the bus-committed offset, committed only after their writes were acked.
   */
  stateful: boolean;
  createTask(partition: number, restored: Uint8Array | undefined): PartitionTask;
}
