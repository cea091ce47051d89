// A member of an in-process consumer group. Everything that changes what it owns or reads happens in
// its pull (the `next()` of `batches()`), serialized one pull at a time, as a Kafka consumer runs its
// rebalance callbacks inside poll():
//   1. join the group on the first pull;
//   2. revoke partitions the last rebalance took away (onRevoke, then release them to the group);
//   3. take target partitions nobody owns any more (onAssign; start at its offsets, else committed,
//      else reset);
//   4. hand out one batch of up to maxBatch records of one partition, round-robin over owned partitions,
//      read straight from the log, so nothing is buffered ahead of the caller (pulling is backpressure);
//   5. if there is nothing, sleep until a send, a rebalance, a release or close wakes it.

import { TickstreamError } from '../../domain/errors.ts';
import type { ConsumeOptions, Consumer, RecordBatch, TopicPartition } from '../port.ts';
import { DONE, SerialPulls } from '../serial-pulls.ts';
import type { ConsumerGroup, GroupMember } from './group.ts';
import type { PartitionLog } from './partition-log.ts';
import type { MemoryTopic, Sleeper } from './topic.ts';

/** What a consumer needs from its bus. */
export interface ConsumerHost {
  topic(name: string): MemoryTopic | undefined;
  partitionCount: (topic: string) => number | undefined;
  /** Records a validated commit (the durable bus persists it before updating the group's offsets). */
  commit(group: ConsumerGroup, topic: string, partition: number, offset: number): void;
  forget(consumer: MemoryConsumer): void;
}

interface Owned {
  readonly tp: TopicPartition;
  readonly key: string;
  readonly log: PartitionLog;
  /** Next offset to hand out. */
  position: number;
}

const byTopicPartition = (a: TopicPartition, b: TopicPartition): number =>
  a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;

export class MemoryConsumer implements Consumer, GroupMember, Sleeper {
  readonly memberId: string;
  readonly topics: readonly string[];
  private readonly group: ConsumerGroup;
  private readonly host: ConsumerHost;
  private readonly reset: 'earliest' | 'latest';
  private readonly maxBatch: number;
  private readonly onAssign: ConsumeOptions['onAssign'];
  private readonly onRevoke: ConsumeOptions['onRevoke'];

  private joined = false;
  private target = new Map<string, TopicPartition>();
  private owned: Owned[] = [];
  private cursor = 0;
  /** Set by close(): pulls return done from now on. */
  private closing = false;
  /** Set once close() has revoked and left: commits are refused from then on. */
  private closed = false;
  private closePromise: Promise<void> | undefined;
  /** Tail of the pull queue: pulls run one at a time. */
  private readonly pulls = new SerialPulls(() => this.pull());
  private waker: (() => void) | null = null;
  /** Set by wake() while not sleeping: something changed since this pull looked, so it must look again. */
  private signaled = false;

  constructor(memberId: string, group: ConsumerGroup, host: ConsumerHost, options: ConsumeOptions) {
    this.memberId = memberId;
    this.group = group;
    this.host = host;
    this.topics = [...new Set(options.topics)];
    this.reset = options.reset ?? 'earliest';
    this.maxBatch = options.maxBatch ?? 500;
    this.onAssign = options.onAssign;
    this.onRevoke = options.onRevoke;
  }

  batches(): AsyncIterable<RecordBatch> {
    return this.pulls.iterable();
  }

  async commit(topic: string, partition: number, offset: number): Promise<void> {
    if (this.closed) throw new TickstreamError('BUS_CLOSED', `consumer ${this.memberId} is closed`);
    const t = this.host.topic(topic);
    if (
      t === undefined ||
      !(Number.isInteger(partition) && partition >= 0 && partition < t.partitions.length)
    ) {
      throw new TickstreamError('BUS_TOPIC_UNKNOWN', `unknown topic or partition ${topic}:${partition}`);
    }
    if (!(Number.isInteger(offset) && offset >= 0)) {
      throw new TickstreamError(
        'VALIDATION_FAILED',
        `commit offset must be a non-negative integer, got ${offset}`,
      );
    }
    this.host.commit(this.group, topic, partition, offset);
  }

  assignment(): TopicPartition[] {
    return this.owned.map((o) => ({ ...o.tp })).sort(byTopicPartition);
  }

  /**
   * Leaves the group: ends the iterator, runs onRevoke for what it owns, then frees it for the others.
   * onRevoke runs right away, even if the caller is still processing the batch it pulled last, so a
   * processor closes after (or from inside) its loop once that batch is done.
   */
  close(): Promise<void> {
    if (this.closePromise === undefined) {
      this.closing = true;
      this.wake();
      this.closePromise = this.leave();
    }
    return this.closePromise;
  }

  setTarget(target: Map<string, TopicPartition>): void {
    this.target = target;
  }

  wake(): void {
    const w = this.waker;
    if (w !== null) {
      this.waker = null;
      w();
    } else {
      this.signaled = true;
    }
  }

  private async leave(): Promise<void> {
    // Let a pull in progress finish (it sees `closing` and returns done), so nothing races the revoke.
    await this.pulls.idle();
    try {
      if (this.joined && this.owned.length > 0 && this.onRevoke !== undefined) {
        await this.onRevoke(this.assignment());
      }
    } finally {
      this.owned = [];
      if (this.joined) this.group.leave(this, this.host.partitionCount);
      this.closed = true;
      this.host.forget(this);
    }
  }

  private async pull(): Promise<IteratorResult<RecordBatch>> {
    for (;;) {
      // Wake-ups from here on (a send, a rebalance, a release while a callback is awaited) are kept.
      this.signaled = false;
      if (this.closing) return DONE;
      if (!this.joined) {
        this.joined = true;
        this.group.join(this, this.host.partitionCount);
      }
      // Callbacks may await; after any, start over (close or another rebalance may have happened).
      if (await this.reconcile()) continue;
      const batch = this.fetch();
      if (batch !== null) return { done: false, value: batch };
      await this.sleep();
    }
  }

  /** Applies the current target: revokes first, then takes free partitions. Returns true if it did either. */
  private async reconcile(): Promise<boolean> {
    const revoked = this.owned.filter((o) => !this.target.has(o.key));
    if (revoked.length > 0) {
      // Still owned during the callback, so onRevoke can commit or checkpoint them.
      if (this.onRevoke !== undefined)
        await this.onRevoke(revoked.map((o) => ({ ...o.tp })).sort(byTopicPartition));
      this.owned = this.owned.filter((o) => !revoked.includes(o));
      this.group.release(
        revoked.map((o) => o.key),
        this,
      );
      return true;
    }
    const claimed: TopicPartition[] = [];
    for (const [key, tp] of this.target) {
      if (this.group.owners.has(key)) continue; // ours already, or its owner has not revoked it yet
      if (this.host.topic(tp.topic)?.partitions[tp.partition] === undefined) continue;
      this.group.owners.set(key, this);
      claimed.push(tp);
    }
    if (claimed.length === 0) return false;
    claimed.sort(byTopicPartition);
    const keys = claimed.map((tp) => `${tp.topic}:${tp.partition}`);
    try {
      const restored =
        this.onAssign === undefined ? undefined : await this.onAssign(claimed.map((tp) => ({ ...tp })));
      const taken = claimed.map((tp, i) => {
        const log = this.host.topic(tp.topic)!.partitions[tp.partition]!;
        return { tp, key: keys[i]!, log, position: this.startOffset(tp, keys[i]!, log, restored) };
      });
      this.owned.push(...taken);
    } catch (e) {
      // Not taken after all: give them back so the group does not wait on them forever.
      this.group.release(keys, this);
      throw e;
    }
    return true;
  }

  private startOffset(
    tp: TopicPartition,
    key: string,
    log: PartitionLog,
    restored: Map<string, number> | undefined,
  ): number {
    const fromCheckpoint = restored?.get(key);
    if (fromCheckpoint !== undefined) {
      if (!(Number.isInteger(fromCheckpoint) && fromCheckpoint >= 0)) {
        throw new TickstreamError(
          'VALIDATION_FAILED',
          `onAssign offset for ${key} is not valid: ${fromCheckpoint}`,
        );
      }
      return fromCheckpoint;
    }
    const partitions = this.host.topic(tp.topic)?.partitions.length ?? 0;
    const committed = this.group.committedFor(tp.topic, partitions)[tp.partition] ?? -1;
    if (committed >= 0) return committed;
    return this.reset === 'latest' ? log.end : log.start;
  }

  /** The next batch, round-robin over owned partitions that have records past their position. */
  private fetch(): RecordBatch | null {
    const n = this.owned.length;
    for (let k = 0; k < n; k++) {
      const i = (this.cursor + k) % n;
      const o = this.owned[i]!;
      const log = o.log;
      // Out of range (retention dropped it, or a stale checkpoint points past the end): reset, as Kafka's
      // auto.offset.reset does on OFFSET_OUT_OF_RANGE.
      if (o.position < log.start || o.position > log.end)
        o.position = this.reset === 'latest' ? log.end : log.start;
      if (o.position < log.end) {
        const records = log.read(o.position, this.maxBatch);
        o.position += records.length;
        this.cursor = (i + 1) % n;
        return { topic: o.tp.topic, partition: o.tp.partition, records };
      }
    }
    return null;
  }

  /** Sleeps until woken, unless a wake-up came while this pull was looking (then it looks again). */
  private sleep(): Promise<void> {
    if (this.signaled) return Promise.resolve();
    const topics: MemoryTopic[] = [];
    for (const name of this.topics) {
      const t = this.host.topic(name);
      if (t !== undefined) topics.push(t);
    }
    return new Promise<void>((resolve) => {
      for (const t of topics) t.sleepers.add(this);
      this.waker = () => {
        for (const t of topics) t.sleepers.delete(this);
        resolve();
      };
    });
  }
}
