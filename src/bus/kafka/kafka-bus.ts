// The Bus port on Apache Kafka through @platformatic/kafka (why this client: see index.ts).
//
// Topics are Kafka topics; a record's partition is always chosen here, explicitly, with partitionFor
// (Kafka's Java default partitioner: murmur2(key) & 0x7fffffff % n), so the embedded bus, this adapter
// and any Java/kafkajs producer agree on where a key lives — @platformatic/kafka's own default
// partitioner does not (it uses `>>> 0`). Keys are UTF-8 strings, values raw bytes.

import { Admin } from '@platformatic/kafka';
import { TickstreamError } from '../../domain/errors.ts';
import { partitionFor } from '../partitioner.ts';
import type { Bus, ConsumeOptions, Consumer, ProduceRecord } from '../port.ts';
import { baseOptions, type KafkaConfig } from './client-options.ts';
import { hasApiId, isUnknownTopic, toBusError } from './errors.ts';
import { KafkaConsumer, type KafkaConsumerHost } from './kafka-consumer.ts';
import { LingerProducer, Producer } from './linger-producer.ts';
import { installFastProduce } from './produce-fast.ts';

const LEADER_WAIT_MS = 30_000;
/** Distinct keys whose UTF-8 bytes are kept for reuse (symbols, users): bounded. */
const KEY_CACHE_LIMIT = 1 << 16;

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Options of KafkaBus.connect beyond the configuration. */
export interface KafkaBusOptions {
  /**
   * Encode Produce requests with produce-fast.ts (the library's bytes, cheaper: see the
   * kafka-produce-encode bench) where the library picks Produce v11. Default true; false leaves every
   * request to @platformatic/kafka's own encoder.
   */
  fastProduce?: boolean;
}

export class KafkaBus implements Bus {
  private readonly cfg: KafkaConfig;
  private readonly admin: Admin;
  private readonly producer: LingerProducer;
  private readonly counts = new Map<string, number>();
  private readonly consumers = new Set<KafkaConsumer>();
  private readonly keyBytes = new Map<string, Buffer>();
  private readonly host: KafkaConsumerHost;
  private closed = false;
  private closePromise: Promise<void> | undefined;

  private constructor(cfg: KafkaConfig, admin: Admin, options: KafkaBusOptions) {
    this.cfg = cfg;
    this.admin = admin;
    const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({
      ...baseOptions(cfg, 'producer'),
      idempotent: true,
      acks: -1,
      retries: 5,
    });
    const fastProduce = options.fastProduce === false ? undefined : installFastProduce(producer);
    this.producer = new LingerProducer(producer, {
      lingerMs: cfg.lingerMs,
      compression: cfg.compression,
      ...(fastProduce === undefined ? {} : { fastProduce }),
    });
    this.host = {
      partitionCount: (topic) => this.partitionCount(topic),
      forget: (c) => this.consumers.delete(c),
    };
  }

  /** Connects (one metadata request, so a wrong address fails here) and returns the bus. */
  static async connect(cfg: KafkaConfig, options: KafkaBusOptions = {}): Promise<KafkaBus> {
    const admin = new Admin(baseOptions(cfg, 'admin'));
    try {
      await admin.metadata({ topics: [] });
    } catch (e) {
      await admin.close().catch(() => undefined);
      throw toBusError(e, `kafka connect ${cfg.brokers.join(',')}`);
    }
    return new KafkaBus(cfg, admin, options);
  }

  async ensureTopic(topic: string, partitions: number): Promise<void> {
    this.assertOpen();
    if (typeof topic !== 'string' || topic.length === 0) {
      throw new TickstreamError('VALIDATION_FAILED', 'topic name must be a non-empty string');
    }
    if (!(Number.isInteger(partitions) && partitions >= 1)) {
      throw new TickstreamError(
        'VALIDATION_FAILED',
        `partition count must be a positive integer, got ${partitions}`,
      );
    }
    if (this.counts.has(topic)) return;
    try {
      // Replication factor: the cluster's default (-1), as `kafka-topics --create` without one does.
      await this.admin.createTopics({ topics: [topic], partitions, replicas: -1 });
    } catch (e) {
      // An existing topic keeps its partition count, as with the in-process bus.
      if (!hasApiId(e, 'TOPIC_ALREADY_EXISTS')) throw toBusError(e, `create topic ${topic}`);
    }
    this.counts.set(topic, await this.waitForLeaders(topic));
  }

  async partitionCount(topic: string): Promise<number> {
    const known = this.counts.get(topic);
    if (known !== undefined) return known;
    this.assertOpen();
    let count: number | undefined;
    try {
      const md = await this.admin.metadata({ topics: [topic], forceUpdate: true });
      count = md.topics.get(topic)?.partitionsCount;
    } catch (e) {
      throw toBusError(e, `metadata of ${topic}`);
    }
    if (count === undefined || count === 0)
      throw new TickstreamError('BUS_TOPIC_UNKNOWN', `unknown topic ${topic}`);
    this.counts.set(topic, count);
    return count;
  }

  async send(topic: string, records: readonly ProduceRecord[]): Promise<void> {
    this.assertOpen();
    const n = this.counts.get(topic) ?? (await this.partitionCount(topic));
    const now = Date.now();
    const messages = new Array<{
      topic: string;
      key: Buffer;
      value: Buffer;
      partition: number;
      timestamp: bigint;
    }>(records.length);
    let bytes = 0;
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      let p = r.partition;
      if (p === undefined) p = partitionFor(r.key, n);
      else if (!(Number.isInteger(p) && p >= 0 && p < n)) {
        throw new TickstreamError('BUS_TOPIC_UNKNOWN', `record ${i}: ${topic} has no partition ${p}`);
      }
      // Copied: the caller may reuse its buffer as soon as send returns a promise.
      const value = Buffer.from(r.value);
      bytes += value.length + r.key.length;
      messages[i] = {
        topic,
        key: this.keyOf(r.key),
        value,
        partition: p,
        timestamp: BigInt(Math.trunc(r.timestamp ?? now)),
      };
    }
    if (messages.length === 0) return;
    await this.producer.send(messages, bytes);
  }

  consumer(options: ConsumeOptions): Consumer {
    this.assertOpen();
    const c = new KafkaConsumer(
      this.host,
      {
        ...baseOptions(this.cfg, 'consumer'),
        groupId: options.group,
        // Short heartbeats so a rebalance is noticed within a second; a member that dies without
        // leaving is replaced after the session timeout.
        sessionTimeout: this.cfg.sessionTimeoutMs,
        rebalanceTimeout: 60_000,
        heartbeatInterval: 1000,
        // A consumer keeps retrying its own requests for longer than admin calls: the pull loop
        // backs off on top of this, and the client's rejoin gives up only after these.
        retries: 10,
        retryDelay: 500,
      },
      options,
    );
    this.consumers.add(c);
    return c;
  }

  async endOffsets(topic: string): Promise<number[]> {
    const n = await this.partitionCount(topic);
    try {
      const res = await this.admin.listOffsets({
        topics: [{ name: topic, partitions: range(n).map((p) => ({ partitionIndex: p, timestamp: -1n })) }],
      });
      const out = new Array<number>(n).fill(0);
      for (const t of res) {
        if (t.name !== topic) continue;
        for (const p of t.partitions) out[p.partitionIndex] = Number(p.offset);
      }
      return out;
    } catch (e) {
      throw toBusError(e, `end offsets of ${topic}`);
    }
  }

  async committedOffsets(group: string, topic: string): Promise<number[]> {
    const n = await this.partitionCount(topic);
    try {
      const res = await this.admin.listConsumerGroupOffsets({
        groups: [{ groupId: group, topics: [{ name: topic, partitionIndexes: range(n) }] }],
      });
      const out = new Array<number>(n).fill(-1);
      for (const g of res) {
        for (const t of g.topics) {
          if (t.name !== topic) continue;
          for (const p of t.partitions)
            out[p.partitionIndex] = p.committedOffset >= 0n ? Number(p.committedOffset) : -1;
        }
      }
      return out;
    } catch (e) {
      throw toBusError(e, `committed offsets of ${group} on ${topic}`);
    }
  }

  /** Closes every consumer (each leaves its group), flushes the producer, closes the clients. */
  close(): Promise<void> {
    if (this.closePromise === undefined) {
      this.closed = true;
      this.closePromise = (async () => {
        await Promise.allSettled([...this.consumers].map((c) => c.close()));
        await this.producer.close().catch(() => undefined);
        await this.admin.close().catch(() => undefined);
      })();
    }
    return this.closePromise;
  }

  private assertOpen(): void {
    if (this.closed) throw new TickstreamError('BUS_CLOSED', 'kafka bus is closed');
  }

  private keyOf(key: string): Buffer {
    let b = this.keyBytes.get(key);
    if (b === undefined) {
      b = Buffer.from(key, 'utf8');
      if (this.keyBytes.size < KEY_CACHE_LIMIT) this.keyBytes.set(key, b);
    }
    return b;
  }

  /** Polls metadata until every partition of `topic` has a leader; returns the partition count. */
  private async waitForLeaders(topic: string): Promise<number> {
    const until = Date.now() + LEADER_WAIT_MS;
    let last: unknown;
    for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
      try {
        const md = await this.admin.metadata({ topics: [topic], forceUpdate: true });
        const t = md.topics.get(topic);
        if (
          t !== undefined &&
          t.partitionsCount > 0 &&
          t.partitions.every((p) => p !== undefined && p.leader >= 0)
        ) {
          return t.partitionsCount;
        }
      } catch (e) {
        last = e;
        if (!isUnknownTopic(e)) throw toBusError(e, `metadata of ${topic}`);
      }
      if (Date.now() > until) {
        throw new TickstreamError('BUS_UNAVAILABLE', `topic ${topic}: partitions have no leader yet`, {
          cause: last,
        });
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
