// Kafka's RangeAssignor: for each topic, its subscribers sorted by member id each take a contiguous
// range of partitions; the first (partitions % members) members take one extra. Deterministic, so
// every member computes the same plan from the same membership.

import type { TopicPartition } from '../port.ts';

export interface Subscription {
  readonly id: string;
  readonly topics: readonly string[];
}

/**
 * Plans which partitions each member owns. Topics for which `partitionCount` is undefined (not created
 * yet) are left out; they are assigned when they appear. Every member gets an entry, possibly empty.
 */
export const rangeAssign = (
  members: readonly Subscription[],
  partitionCount: (topic: string) => number | undefined,
): Map<string, TopicPartition[]> => {
  const plan = new Map<string, TopicPartition[]>();
  for (const m of members) plan.set(m.id, []);
  const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
  for (const topic of topics) {
    const n = partitionCount(topic);
    if (n === undefined) continue;
    const subscribers = members
      .filter((m) => m.topics.includes(topic))
      .map((m) => m.id)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const per = Math.floor(n / subscribers.length);
    const extra = n % subscribers.length;
    subscribers.forEach((id, i) => {
      const start = i * per + Math.min(i, extra);
      const count = per + (i < extra ? 1 : 0);
      const mine = plan.get(id)!;
      for (let p = start; p < start + count; p++) mine.push({ topic, partition: p });
    });
  }
  return plan;
};
