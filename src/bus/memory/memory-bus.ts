// The embedded Bus: Kafka's semantics (topics, murmur2-keyed partitions, offsets, consumer groups with
// range assignment and rebalances, commits, retention) in one process, with no broker. See consumer.ts
// for how group members pull and rebalance, partition-log.ts for how records are stored.

import { TickstreamError } from '../../domain/errors.ts';
import { partitionFor } from '../partitioner.ts';
import type { Bus, ConsumeOptions, Consumer, ProduceRecord } from '../port.ts';
import { type ConsumerHost, MemoryConsumer } from './consumer.ts';
import { ConsumerGroup } from './group.ts';
import type { RetentionLimits } from './partition-log.ts';
import { MemoryTopic } from './topic.ts';

export interface MemoryBusOptions {
  /** Records kept per partition before the oldest are dropped (default 1,000,000). */
  retentionRecords?: number;
  /** Value bytes kept per partition before the oldest records are dropped (default 64 MiB). */
  retentionBytes?: number;
  /** Records per log chunk, the unit retention drops (default 4096). */
  chunkSize?: number;
}

const positiveInt = (n: number, what: string): number => {
  if (!(Number.isInteger(n) && n >= 1)) {
    throw new TickstreamError('VALIDATION_FAILED', `${what} must be a positive integer, got ${n}`);
  }
  return n;
};

export class MemoryBus implements Bus {
  private readonly topics = new Map<string, MemoryTopic>();
  private readonly groups = new Map<string, ConsumerGroup>();
  private readonly consumers = new Set<MemoryConsumer>();
  private readonly retention: RetentionLimits;
  private readonly chunkSize: number;
  private memberSeq = 0;
  private closing = false;
  private closePromise: Promise<void> | undefined;
  /** Partition of each record of the send in progress (reused: no allocation per send). */
  private partitionScratch = new Int32Array(1024);
  private readonly host: ConsumerHost = {
    topic: (name) => this.topics.get(name),
    partitionCount: (name) => this.topics.get(name)?.partitions.length,
    forget: (c) => {
      this.consumers.delete(c);
    },
  };

  constructor(options: MemoryBusOptions = {}) {
    this.retention = {
      records: positiveInt(options.retentionRecords ?? 1_000_000, 'retentionRecords'),
      bytes: positiveInt(options.retentionBytes ?? 64 * 2 ** 20, 'retentionBytes'),
    };
    this.chunkSize = positiveInt(options.chunkSize ?? 4096, 'chunkSize');
  }

  async ensureTopic(topic: string, partitions: number): Promise<void> {
    this.assertOpen();
    if (typeof topic !== 'string' || topic.length === 0) {
      throw new TickstreamError('VALIDATION_FAILED', 'topic name must be a non-empty string');
    }
    positiveInt(partitions, 'partition count');
    // An existing topic keeps its partition count, as Kafka's create-if-missing does.
    if (this.topics.has(topic)) return;
    this.topics.set(topic, new MemoryTopic(topic, partitions, this.chunkSize, this.retention));
    // Members already subscribed to it get its partitions now (Kafka: metadata refresh → rebalance).
    for (const g of this.groups.values()) if (g.subscribes(topic)) g.rebalance(this.host.partitionCount);
  }

  async partitionCount(topic: string): Promise<number> {
    return this.topic(topic).partitions.length;
  }

  async send(topic: string, records: readonly ProduceRecord[]): Promise<void> {
    this.assertOpen();
    const t = this.topic(topic);
    const n = t.partitions.length;
    const count = records.length;
    if (this.partitionScratch.length < count) this.partitionScratch = new Int32Array(count);
    const parts = this.partitionScratch;
    // Validate the whole batch before appending any of it, so a bad record leaves the log untouched.
    for (let i = 0; i < count; i++) {
      const r = records[i]!;
      if (typeof r.key !== 'string' || !(r.value instanceof Uint8Array)) {
        throw new TickstreamError(
          'VALIDATION_FAILED',
          `record ${i}: key must be a string and value a Uint8Array`,
        );
      }
      const p = r.partition;
      if (p === undefined) {
        parts[i] = partitionFor(r.key, n);
      } else if (Number.isInteger(p) && p >= 0 && p < n) {
        parts[i] = p;
      } else {
        throw new TickstreamError('BUS_TOPIC_UNKNOWN', `record ${i}: ${topic} has no partition ${p}`);
      }
    }
    const now = Date.now();
    const logs = t.partitions;
    for (let i = 0; i < count; i++) {
      const r = records[i]!;
      logs[parts[i]!]!.append(r.key, r.value, r.timestamp ?? now);
    }
    t.wakeSleepers();
  }

  consumer(options: ConsumeOptions): Consumer {
    this.assertOpen();
    if (typeof options.group !== 'string' || options.group.length === 0) {
      throw new TickstreamError('VALIDATION_FAILED', 'consumer group must be a non-empty string');
    }
    if (!Array.isArray(options.topics) || options.topics.length === 0) {
      throw new TickstreamError('VALIDATION_FAILED', 'a consumer needs at least one topic');
    }
    if (options.maxBatch !== undefined) positiveInt(options.maxBatch, 'maxBatch');
    if (options.reset !== undefined && options.reset !== 'earliest' && options.reset !== 'latest') {
      throw new TickstreamError(
        'VALIDATION_FAILED',
        `reset must be 'earliest' or 'latest', got ${options.reset}`,
      );
    }
    let group = this.groups.get(options.group);
    if (group === undefined) {
      group = new ConsumerGroup(options.group);
      this.groups.set(options.group, group);
    }
    // Zero-padded sequence: member ids sort in join order, which the range assignment follows.
    const memberId = `${options.group}-${String(++this.memberSeq).padStart(10, '0')}`;
    const c = new MemoryConsumer(memberId, group, this.host, options);
    this.consumers.add(c);
    return c;
  }

  async endOffsets(topic: string): Promise<number[]> {
    return this.topic(topic).partitions.map((log) => log.end);
  }

  /** Log start offset per partition: the oldest offset retention has kept (not part of the Bus port). */
  async startOffsets(topic: string): Promise<number[]> {
    return this.topic(topic).partitions.map((log) => log.start);
  }

  async committedOffsets(group: string, topic: string): Promise<number[]> {
    const n = this.topic(topic).partitions.length;
    const g = this.groups.get(group);
    return g === undefined ? new Array<number>(n).fill(-1) : [...g.committedFor(topic, n)];
  }

  /** Closes every consumer (each revokes its partitions, so onRevoke runs), then refuses further use. */
  close(): Promise<void> {
    if (this.closePromise === undefined) {
      this.closing = true;
      this.closePromise = Promise.all([...this.consumers].map((c) => c.close())).then(() => undefined);
    }
    return this.closePromise;
  }

  private topic(name: string): MemoryTopic {
    const t = this.topics.get(name);
    if (t === undefined) throw new TickstreamError('BUS_TOPIC_UNKNOWN', `unknown topic ${name}`);
    return t;
  }

  private assertOpen(): void {
    if (this.closing) throw new TickstreamError('BUS_CLOSED', 'the bus is closed');
  }
}
