// The Bus port: a partitioned, replayable log with Kafka's semantics (topics, keyed partitioning,
// offsets, consumer groups, commits). The in-process adapter and the Kafka adapter both implement it,
// and one contract suite (test/contract/bus.contract.ts) runs against both.

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface ProduceRecord {
  /** Partition key (symbol for trades, user for fills). Partition = murmur2(key) like Kafka's default. */
  key: string;
  value: Uint8Array;
  /** Explicit partition; when absent it is derived from the key. */
  partition?: number;
  /** Record timestamp in ms (defaults to now). */
  timestamp?: number;
}

/** A record as consumers get it. Read its fields by name: an adapter may compute `key` on first read. */
export interface BusRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: Uint8Array;
  timestamp: number;
}

/** Records of one partition, contiguous in offset order. */
export interface RecordBatch {
  topic: string;
  partition: number;
  records: BusRecord[];
  /**
   * Records known to be in the partition after this batch when it was fetched (log end − next offset),
   * when the bus knows it: 0 means the consumer has caught up. Lets a processor tell live traffic from a
   * backlog (emit at once vs conflate).
   */
  lag?: number;
}

export interface ConsumeOptions {
  group: string;
  topics: string[];
  /** Where to start in a partition with no committed offset: 'earliest' (default) or 'latest'. */
  reset?: 'earliest' | 'latest';
  /** Upper bound on records per batch (backpressure: a batch is only fetched when the previous one was taken). */
  maxBatch?: number;
  /**
   * Called when partitions are assigned to this member, before any of their records are delivered.
   * Return a map "topic:partition" → offset to start from (a restored checkpoint); others start at
   * the committed offset.
   */
  onAssign?: (
    partitions: TopicPartition[],
  ) => Promise<Map<string, number> | undefined> | Map<string, number> | undefined;
  /** Called when partitions are taken away (rebalance or close), after the last batch of them was handed out. */
  onRevoke?: (partitions: TopicPartition[]) => Promise<void> | void;
}

export interface Consumer {
  /** Batches as they arrive; ends when the consumer is closed. Pulling is the backpressure. */
  batches(): AsyncIterable<RecordBatch>;
  /** Commit: `offset` is the next offset to read (Kafka convention). */
  commit(topic: string, partition: number, offset: number): Promise<void>;
  assignment(): TopicPartition[];
  close(): Promise<void>;
}

export interface Bus {
  /** Creates the topic if missing (idempotent). */
  ensureTopic(topic: string, partitions: number): Promise<void>;
  partitionCount(topic: string): Promise<number>;
  /** Appends records; resolves when they are durable in the log (acked). */
  send(topic: string, records: readonly ProduceRecord[]): Promise<void>;
  consumer(options: ConsumeOptions): Consumer;
  /** Log end offset per partition (the next offset that will be written). */
  endOffsets(topic: string): Promise<number[]>;
  /** Committed offset per partition for a group; -1 where none. */
  committedOffsets(group: string, topic: string): Promise<number[]>;
  close(): Promise<void>;
}

export const tpKey = (topic: string, partition: number): string => `${topic}:${partition}`;
