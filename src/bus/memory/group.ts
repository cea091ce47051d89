// One consumer group of the in-process bus: its members, who owns which partition right now, the
// target plan from the last rebalance, and the committed offsets (kept after every member has left,
// as Kafka keeps them).
//
// Ownership hand-over is cooperative: a rebalance only sets each member's target; a member gives up a
// partition (onRevoke, then release) the next time it asks for a batch, i.e. after it has finished with
// the last batch it was handed, and a member takes a partition (onAssign) only once nobody owns it. So
// a partition never has two owners, and whatever the old owner committed or checkpointed in onRevoke is
// visible to the new owner's onAssign.

import type { TopicPartition } from '../port.ts';
import { rangeAssign } from './range-assignor.ts';

export interface GroupMember {
  readonly memberId: string;
  readonly topics: readonly string[];
  /** New target partitions, keyed by "topic:partition"; the member reconciles on its next pull. */
  setTarget(target: Map<string, TopicPartition>): void;
  wake(): void;
}

export class ConsumerGroup {
  readonly id: string;
  private readonly members: GroupMember[] = [];
  /** "topic:partition" → the member that owns it now (between its onAssign and its release). */
  readonly owners = new Map<string, GroupMember>();
  /** topic → committed offset per partition, -1 where none. */
  private readonly committed = new Map<string, number[]>();

  constructor(id: string) {
    this.id = id;
  }

  get size(): number {
    return this.members.length;
  }

  subscribes(topic: string): boolean {
    return this.members.some((m) => m.topics.includes(topic));
  }

  join(member: GroupMember, partitionCount: (topic: string) => number | undefined): void {
    this.members.push(member);
    this.rebalance(partitionCount);
  }

  /** Removes the member, frees whatever it still owns and rebalances the rest. */
  leave(member: GroupMember, partitionCount: (topic: string) => number | undefined): void {
    const i = this.members.indexOf(member);
    if (i >= 0) this.members.splice(i, 1);
    for (const [key, owner] of this.owners) if (owner === member) this.owners.delete(key);
    this.rebalance(partitionCount);
  }

  rebalance(partitionCount: (topic: string) => number | undefined): void {
    const plan = rangeAssign(
      this.members.map((m) => ({ id: m.memberId, topics: m.topics })),
      partitionCount,
    );
    for (const m of this.members) {
      const target = new Map<string, TopicPartition>();
      for (const tp of plan.get(m.memberId) ?? []) target.set(`${tp.topic}:${tp.partition}`, tp);
      m.setTarget(target);
    }
    this.wakeAll();
  }

  /** Frees partitions a member has revoked and wakes members that may be waiting to take them. */
  release(keys: readonly string[], member: GroupMember): void {
    for (const key of keys) if (this.owners.get(key) === member) this.owners.delete(key);
    this.wakeAll();
  }

  private wakeAll(): void {
    for (const m of this.members) m.wake();
  }

  /** Committed offsets by topic (partitions with none hold -1). */
  committedTopics(): IterableIterator<[string, readonly number[]]> {
    return this.committed.entries();
  }

  committedFor(topic: string, partitions: number): number[] {
    let offsets = this.committed.get(topic);
    if (offsets === undefined) {
      offsets = new Array<number>(partitions).fill(-1);
      this.committed.set(topic, offsets);
    }
    return offsets;
  }
}
