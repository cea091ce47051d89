// Prefixes every topic and consumer group with a namespace, so several tickstream deployments (or test
// runs) can share one Kafka cluster without seeing each other's records or offsets.
import type { Bus, ConsumeOptions, Consumer, ProduceRecord, TopicPartition } from './port.ts';

export class NamespacedBus implements Bus {
  private readonly inner: Bus;
  private readonly prefix: string;

  constructor(inner: Bus, namespace: string) {
    this.inner = inner;
    this.prefix = `${namespace}.`;
  }

  private t(topic: string): string {
    return this.prefix + topic;
  }

  private strip(tps: TopicPartition[]): TopicPartition[] {
    return tps.map((tp) => ({ topic: tp.topic.slice(this.prefix.length), partition: tp.partition }));
  }

  ensureTopic(topic: string, partitions: number): Promise<void> {
    return this.inner.ensureTopic(this.t(topic), partitions);
  }

  partitionCount(topic: string): Promise<number> {
    return this.inner.partitionCount(this.t(topic));
  }

  send(topic: string, records: readonly ProduceRecord[]): Promise<void> {
    return this.inner.send(this.t(topic), records);
  }

  consumer(options: ConsumeOptions): Consumer {
    const { onAssign, onRevoke } = options;
    const inner = this.inner.consumer({
      ...options,
      group: this.t(options.group),
      topics: options.topics.map((x) => this.t(x)),
      ...(onAssign
        ? {
            onAssign: async (tps: TopicPartition[]) => {
              const m = await onAssign(this.strip(tps));
              return m === undefined ? undefined : new Map([...m].map(([k, v]) => [this.prefix + k, v]));
            },
          }
        : {}),
      ...(onRevoke ? { onRevoke: (tps: TopicPartition[]) => onRevoke(this.strip(tps)) } : {}),
    });
    const prefixLength = this.prefix.length;
    const t = (x: string) => this.t(x);
    return {
      async *batches() {
        for await (const b of inner.batches()) {
          const topic = b.topic.slice(prefixLength);
          // Records are fresh objects per delivery: renaming in place saves a copy per record.
          for (const r of b.records) r.topic = topic;
          yield { topic, partition: b.partition, records: b.records, lag: b.lag };
        }
      },
      commit: (topic, partition, offset) => inner.commit(t(topic), partition, offset),
      assignment: () => this.strip(inner.assignment()),
      close: () => inner.close(),
    };
  }

  endOffsets(topic: string): Promise<number[]> {
    return this.inner.endOffsets(this.t(topic));
  }

  committedOffsets(group: string, topic: string): Promise<number[]> {
    return this.inner.committedOffsets(this.t(group), this.t(topic));
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
