// The embedded Bus: Kafka's semantics (topics, murmur2-keyed partitions, offsets, consumer groups with
// range assignment and rebalances, commits, retention) in one process, with no broker. See consumer.ts
// for how group members pull and rebalance, partition-log.ts for how records are stored.
//
// `new MemoryBus()` keeps everything in memory. `MemoryBus.open({ dir })` is the same bus made durable:
// every send also appends one batch frame per partition to that partition's segment files, commits go
// to an offsets log, topics to topics.json (bus-dir.ts). Reads are still served from memory; on open the
// files are read back into memory, so a restart after kill -9 sees every acknowledged record and commit.

import { TickstreamError } from '../../domain/errors.ts';
import { partitionFor } from '../partitioner.ts';
import type { Bus, ConsumeOptions, Consumer, ProduceRecord } from '../port.ts';
import { FrameWriter, KeyDecoder } from './batch-frame.ts';
import { BusDirectory } from './bus-dir.ts';
import type { CommitEntry } from './commit-log.ts';
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

/** Options of the durable bus (`MemoryBus.open`). Retention also decides which segment files are deleted. */
export interface DurableBusOptions extends MemoryBusOptions {
  /** Directory of the logs (created if missing; locked while open). */
  dir: string;
  /**
   * 'none' (default): writes go to the OS page cache, as Kafka's do: a killed process loses nothing
   * acknowledged, a power loss may lose the last seconds. 'always': fdatasync after every send and commit.
   */
  fsync?: 'none' | 'always';
  /** Size at which a partition's active segment file rolls to a new one (default 64 MiB). */
  segmentBytes?: number;
  /** Commit-log entries appended before it is rewritten as a snapshot (default 100,000). */
  commitCompactEvery?: number;
  /** Warnings, e.g. a torn tail truncated on open (default console.warn). */
  log?: (message: string) => void;
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
  /** Durable mode only: the files, a reused frame encoder, and record indices grouped by partition. */
  private disk: BusDirectory | undefined;
  private frames: FrameWriter | undefined;
  private orderScratch = new Int32Array(1024);
  private countScratch = new Int32Array(64);
  private readonly host: ConsumerHost = {
    topic: (name) => this.topics.get(name),
    partitionCount: (name) => this.topics.get(name)?.partitions.length,
    commit: (group, topic, partition, offset) => {
      const offsets = group.committedFor(topic, this.topics.get(topic)!.partitions.length);
      if (offsets[partition] === offset) return; // processors commit every flush, moved or not
      this.disk?.commit(group.id, topic, partition, offset);
      offsets[partition] = offset;
    },
    forget: (c) => {
      this.consumers.delete(c);
    },
  };

  /**
   * The durable bus: opens (or creates) `options.dir`, reads every topic's segments back into memory
   * (truncating a torn tail with a warning, refusing corruption with BusLogCorruptError) and the
   * committed offsets of every group.
   */
  static async open(options: DurableBusOptions): Promise<MemoryBus> {
    const bus = new MemoryBus(options);
    if (options.fsync !== undefined && options.fsync !== 'none' && options.fsync !== 'always') {
      throw new TickstreamError(
        'VALIDATION_FAILED',
        `fsync must be 'none' or 'always', got ${options.fsync}`,
      );
    }
    const log = options.log ?? ((message: string) => console.warn(message));
    const disk = BusDirectory.open({
      dir: options.dir,
      fsync: options.fsync === 'always',
      segmentBytes: positiveInt(options.segmentBytes ?? 64 * 2 ** 20, 'segmentBytes'),
      log,
      ...(options.commitCompactEvery === undefined
        ? {}
        : { commitCompactEvery: positiveInt(options.commitCompactEvery, 'commitCompactEvery') }),
    });
    try {
      const keys = new KeyDecoder(); // shares key strings while loading
      for (const meta of disk.storedTopics()) {
        const t = new MemoryTopic(meta.name, meta.partitions, bus.chunkSize, bus.retention);
        const segments = disk.partitionLogs(meta.name, meta.partitions);
        for (let p = 0; p < meta.partitions; p++) {
          const partition = t.partitions[p]!;
          segments[p]!.recover(partition, keys);
          segments[p]!.dropBelow(partition.start);
        }
        bus.topics.set(meta.name, t);
      }
      disk.openCommits(
        (e) => {
          const n = bus.topics.get(e.topic)?.partitions.length;
          if (n === undefined || e.partition >= n) {
            log(`bus commit log: dropped a commit for unknown ${e.topic}:${e.partition} (group ${e.group})`);
            return;
          }
          bus.group(e.group).committedFor(e.topic, n)[e.partition] = e.offset;
        },
        () => bus.committedEntries(),
      );
    } catch (e) {
      disk.close();
      throw e;
    }
    bus.disk = disk;
    bus.frames = new FrameWriter();
    return bus;
  }

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
    // Durable: on disk first, so a topic that exists in memory always exists after a restart too.
    this.disk?.addTopic(topic, partitions);
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
    if (this.disk !== undefined) {
      try {
        this.appendDurable(t, records, now);
      } finally {
        t.wakeSleepers(); // partitions written before a failure are readable
      }
      return;
    }
    for (let i = 0; i < count; i++) {
      const r = records[i]!;
      logs[parts[i]!]!.append(r.key, r.value, r.timestamp ?? now);
    }
    t.wakeSleepers();
  }

  /**
   * Groups the send's records by partition (a counting sort of their indices into reused arrays), then
   * per partition: encodes one frame, writes it with one write, and only then appends to memory, so
   * memory never holds a record the files do not.
   */
  private appendDurable(t: MemoryTopic, records: readonly ProduceRecord[], now: number): void {
    const count = records.length;
    const n = t.partitions.length;
    const parts = this.partitionScratch;
    if (this.countScratch.length < n + 1) this.countScratch = new Int32Array(n + 1);
    if (this.orderScratch.length < count) this.orderScratch = new Int32Array(this.partitionScratch.length);
    const starts = this.countScratch; // starts[p] .. starts[p + 1]: indices of partition p in `order`
    const order = this.orderScratch;
    starts.fill(0, 0, n + 1);
    for (let i = 0; i < count; i++) starts[parts[i]! + 1]!++;
    for (let p = 0; p < n; p++) starts[p + 1]! += starts[p]!;
    for (let i = 0; i < count; i++) order[starts[parts[i]!]!++] = i;
    // The fill loop advanced each start to the next partition's start: shift back by one partition.
    for (let p = n; p > 0; p--) starts[p] = starts[p - 1]!;
    starts[0] = 0;
    const segments = this.disk!.partitionLogs(t.name, n);
    const frames = this.frames!;
    for (let p = 0; p < n; p++) {
      const from = starts[p]!;
      const to = starts[p + 1]!;
      if (from === to) continue;
      const log = t.partitions[p]!;
      const base = log.end;
      frames.begin(base);
      for (let k = from; k < to; k++) {
        const r = records[order[k]!]!;
        frames.add(r.key, r.value, r.timestamp ?? now);
      }
      segments[p]!.append(frames.bytes, frames.finish(), base);
      for (let k = from; k < to; k++) {
        const r = records[order[k]!]!;
        log.append(r.key, r.value, r.timestamp ?? now);
      }
      segments[p]!.dropBelow(log.start);
    }
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
    const group = this.group(options.group);
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

  /**
   * Closes every consumer (each revokes its partitions, so onRevoke runs and may still commit), then
   * flushes and closes the files, and refuses further use.
   */
  close(): Promise<void> {
    if (this.closePromise === undefined) {
      this.closing = true;
      this.closePromise = Promise.allSettled([...this.consumers].map((c) => c.close())).then((results) => {
        this.disk?.close();
        for (const r of results) if (r.status === 'rejected') throw r.reason;
      });
    }
    return this.closePromise;
  }

  /** Segment base offsets of a partition's files, oldest first (durable bus only; for tests and tools). */
  segmentBases(topic: string, partition: number): readonly number[] {
    const n = this.topic(topic).partitions.length;
    return this.disk?.partitionLogs(topic, n)[partition]?.segments() ?? [];
  }

  private group(id: string): ConsumerGroup {
    let group = this.groups.get(id);
    if (group === undefined) {
      group = new ConsumerGroup(id);
      this.groups.set(id, group);
    }
    return group;
  }

  private *committedEntries(): Iterable<CommitEntry> {
    for (const g of this.groups.values()) {
      for (const [topic, offsets] of g.committedTopics()) {
        for (let partition = 0; partition < offsets.length; partition++) {
          const offset = offsets[partition]!;
          if (offset >= 0) yield { group: g.id, topic, partition, offset };
        }
      }
    }
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
