// A member of a Kafka consumer group, with the Bus port's pull semantics.
//
// @platformatic/kafka's Consumer does the group protocol (join, sync, heartbeats, rejoin on a rebalance
// or a lost membership) and the requests (Fetch, OffsetCommit, OffsetFetch, ListOffsets). Its stream
// API is not used: it prefetches and has no hook that runs before a rebalance moves partitions. Instead:
//
//   * Fetching is ours and is driven by pulls (`next()` of `batches()`): one Fetch per leader (long poll,
//     maxWaitTime) fills the buffers of the partitions whose buffers are empty; batches of up to
//     maxBatch records of one partition are then decoded from the response's bytes and handed out
//     round-robin. When a pull drains the buffer of the second half of the partitions, the next fetch
//     (of the drained ones) starts at once, while the caller processes the rest (as Java's consumer
//     pipelines its fetches): the fetch round trip overlaps the processing instead of adding to every
//     record's latency. Pulling is still the backpressure: at most one response per partition is
//     buffered and one fetch is in flight. Each batch carries the partition's lag (high watermark of
//     its fetch − the offset after the batch), so a caller can tell live traffic from a backlog.
//   * Rebalances are eager (Kafka's classic protocol with the roundrobin assignor): before this member
//     sends JoinGroup, the client calls `protocolsMetadata`, which we make wait until the next pull has
//     run onRevoke for every owned partition (i.e. after the caller finished the last batch it took and
//     could commit or checkpoint it). The broker assigns partitions only once every member has rejoined,
//     so a partition's new owner starts after its old owner's onRevoke. After SyncGroup the next pull
//     runs onAssign for the new assignment and seeks: onAssign's offset, else the committed offset, else
//     reset (earliest/latest). Like Java's eager protocol, a member that keeps a partition across a
//     rebalance sees onRevoke and onAssign for it too.
//   * Errors: a broker that is down, a leader that moved, a timeout: the pull retries with capped backoff
//     and the client rejoins by itself, so `batches()` survives a broker restart. Other failures are
//     thrown from the pull as TickstreamError; onAssign/onRevoke errors are thrown as they are.

import { type BaseOptions, type GroupAssignment, Consumer as PltConsumer } from '@platformatic/kafka';
import { isTickstreamError, TickstreamError } from '../../domain/errors.ts';
import type { BusRecord, ConsumeOptions, Consumer, RecordBatch, TopicPartition } from '../port.ts';
import { tpKey } from '../port.ts';
import { DONE, SerialPulls } from '../serial-pulls.ts';
import type { ApiSwap } from './api-swap.ts';
import { isOffsetOutOfRange, toBusError } from './errors.ts';
import { installFastFetch, RawRecords } from './fetch-fast.ts';
import { appendParsedBatches, type ParsedBatch } from './parsed-batches.ts';
import { readRecordBatches } from './record-batch-read.ts';

/** What a consumer needs from its bus. */
export interface KafkaConsumerHost {
  partitionCount(topic: string): Promise<number>;
  forget(consumer: KafkaConsumer): void;
}

type Client = PltConsumer<Buffer, Buffer, Buffer, Buffer>;
/** Client settings plus the group's timing; the group id, assignor hook and autocommit are set here. */
export type ConsumerClientOptions = BaseOptions & {
  groupId: string;
  sessionTimeout: number;
  rebalanceTimeout: number;
  heartbeatInterval: number;
};

interface Owned {
  readonly tp: TopicPartition;
  readonly key: string;
  /** Next offset to fetch; -1 until resolved (committed offset or reset). */
  fetchAt: number;
  /** Fetched records not handed out yet, from index `next`. */
  buffer: BusRecord[];
  next: number;
  /**
   * Fetched record batches not decoded yet (fast fetch), from byte `rawAt`: decoded maxBatch records at a
   * time as pulls hand them out. Decoded up front, a whole response's records (up to 1 MiB per
   * partition) lived across scavenges: in kafka-throughput the young GC promoted ~4× as much and its
   * pauses took 2–3.5× as long (BENCHMARKS.md).
   */
  raw: Uint8Array | null;
  rawAt: number;
  /** Reads of this partition's bytes that failed in a row (BUS_LOG_CORRUPT). */
  corruptReads: number;
  /** High watermark in the last fetch response (-1: none yet). */
  logEnd: number;
}

const EMPTY_META = Buffer.alloc(0);
/** Longest a JoinGroup waits for the caller to pull (and so run onRevoke); under the rebalance timeout. */
const REVOKE_WAIT_MS = 45_000;
// Short: the group's commits share the connection with the long poll and wait behind it (measured:
// ~500 ms per commit at 500 ms), which delayed checkpoints, the final flush and recovery.
const FETCH_WAIT_MS = 50;
const PARTITION_MAX_BYTES = 1 << 20;
const FETCH_MAX_BYTES = 16 << 20;
const IDLE_WAIT_MS = 1000;
/** Refetches of a batch that fails its checks before the error surfaces (~1.5 s of backoff in all). */
const CORRUPT_RETRIES = 4;

const addPartition = (into: Record<string, number[]>, tp: TopicPartition): void => {
  const list = into[tp.topic];
  if (list === undefined) into[tp.topic] = [tp.partition];
  else list.push(tp.partition);
};

const byTopicPartition = (a: TopicPartition, b: TopicPartition): number =>
  a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;

export class KafkaConsumer implements Consumer {
  private readonly client: Client;
  private readonly host: KafkaConsumerHost;
  private readonly topics: string[];
  private readonly reset: 'earliest' | 'latest';
  private readonly maxBatch: number;
  private readonly onAssign: ConsumeOptions['onAssign'];
  private readonly onRevoke: ConsumeOptions['onRevoke'];

  private readonly owned = new Map<string, Owned>();
  private order: Owned[] = [];
  private cursor = 0;
  /** Assignment from the last SyncGroup, not yet taken by a pull. */
  private pendingAssign: GroupAssignment[] | null = null;
  /** JoinGroups waiting for this member to revoke what it owns. */
  private revokeWaiters: (() => void)[] = [];
  /** Bumped whenever ownership changes: a fetch started before is dropped. */
  private epoch = 0;
  /** An assignment is being taken (onAssign, positions): it counts as owned for a JoinGroup. */
  private assigning = false;
  private fetching: Promise<void> | undefined;

  private joining: Promise<void> | undefined;
  private needJoin = true;
  private joinRetryAt = 0;
  private joinBackoff = 100;

  private closing = false;
  private closed = false;
  private closePromise: Promise<void> | undefined;
  private readonly pulls = new SerialPulls(() => this.pull());
  /** Whether fetches parse records with record-batch-read (a broker offering Fetch v17). */
  readonly fastFetch: ApiSwap;
  private waker: (() => void) | null = null;
  private signaled = false;

  constructor(host: KafkaConsumerHost, clientOptions: ConsumerClientOptions, options: ConsumeOptions) {
    this.host = host;
    this.topics = [...new Set(options.topics)];
    this.reset = options.reset ?? 'earliest';
    this.maxBatch = Math.max(1, options.maxBatch ?? 500);
    this.onAssign = options.onAssign;
    this.onRevoke = options.onRevoke;
    this.client = new PltConsumer<Buffer, Buffer, Buffer, Buffer>({
      ...clientOptions,
      autocommit: false,
      protocolsMetadata: () => this.beforeJoin(),
    });
    this.fastFetch = installFastFetch(this.client);
    this.client.topics.trackAll(...this.topics);
    this.client.on('consumer:group:join', (payload) => {
      this.pendingAssign = payload.assignments ?? [];
      this.wake();
    });
    // The client's own rejoin gave up (broker down too long): join again from the pull loop.
    this.client.on('error', () => {
      this.needJoin = true;
      this.wake();
    });
  }

  batches(): AsyncIterable<RecordBatch> {
    return this.pulls.iterable();
  }

  async commit(topic: string, partition: number, offset: number): Promise<void> {
    if (this.closed) throw new TickstreamError('BUS_CLOSED', 'kafka consumer is closed');
    const n = await this.host.partitionCount(topic);
    if (!(Number.isInteger(partition) && partition >= 0 && partition < n)) {
      throw new TickstreamError('BUS_TOPIC_UNKNOWN', `unknown topic or partition ${topic}:${partition}`);
    }
    if (!(Number.isSafeInteger(offset) && offset >= 0)) {
      throw new TickstreamError(
        'VALIDATION_FAILED',
        `commit offset must be a non-negative integer, got ${offset}`,
      );
    }
    try {
      await this.client.commit({ offsets: [{ topic, partition, offset: BigInt(offset), leaderEpoch: -1 }] });
    } catch (e) {
      throw toBusError(e, `kafka commit ${topic}:${partition}`);
    }
  }

  assignment(): TopicPartition[] {
    return this.order.map((o) => ({ ...o.tp })).sort(byTopicPartition);
  }

  /** Ends the iterator, runs onRevoke for what it owns, then leaves the group. Idempotent. */
  close(): Promise<void> {
    if (this.closePromise === undefined) {
      this.closing = true;
      this.wake();
      this.closePromise = this.leave();
    }
    return this.closePromise;
  }

  private async leave(): Promise<void> {
    await this.pulls.idle(); // a pull in progress sees `closing` and returns done
    try {
      if (this.order.length > 0 && this.onRevoke !== undefined) await this.onRevoke(this.assignment());
    } finally {
      this.dropOwned();
      this.releaseJoins();
      this.closed = true;
      this.host.forget(this);
      try {
        await this.client.close();
      } catch {
        // Leaving failed (broker down): the session times out instead. Close the connections anyway.
        await this.client.close(true).catch(() => undefined);
      }
    }
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

  /** Called by the client before each JoinGroup: wait until what we own was revoked by a pull. */
  private beforeJoin(): Promise<Buffer> {
    this.pendingAssign = null; // an assignment not taken yet belongs to the generation being left
    if ((this.owned.size === 0 && !this.assigning) || this.closed) return Promise.resolve(EMPTY_META);
    return new Promise<Buffer>((resolve) => {
      const timer = setTimeout(() => resolve(EMPTY_META), REVOKE_WAIT_MS);
      this.revokeWaiters.push(() => {
        clearTimeout(timer);
        resolve(EMPTY_META);
      });
      this.wake();
    });
  }

  private releaseJoins(): void {
    const waiters = this.revokeWaiters;
    this.revokeWaiters = [];
    for (const w of waiters) w();
  }

  private dropOwned(): void {
    this.owned.clear();
    this.order = [];
    this.cursor = 0;
    this.epoch++;
  }

  private async pull(): Promise<IteratorResult<RecordBatch>> {
    let backoff = 100;
    for (;;) {
      this.signaled = false;
      if (this.closing) return DONE;
      try {
        if (this.revokeWaiters.length > 0) {
          await this.revokeAll();
          continue;
        }
        if (this.pendingAssign !== null) {
          await this.assign(this.pendingAssign);
          continue;
        }
        this.ensureJoined();
        const batch = this.takeBuffered();
        if (batch !== null) return { done: false, value: batch };
        if (this.order.length === 0) {
          await this.sleep(IDLE_WAIT_MS);
          continue;
        }
        // Only after a failed resolution at assignment (see resolveBeforeShown): no array per fetch.
        if (this.order.some((o) => o.fetchAt < 0))
          await this.resolvePositions(this.order.filter((o) => o.fetchAt < 0));
        await this.fetchOnce();
        // a refetch after a bad read keeps backing off (decodeMore finds out, after the fetch)
        if (!this.order.some((o) => o.corruptReads > 0)) backoff = 100;
      } catch (e) {
        if (this.closing) return DONE;
        // Broker down, leader moving, timeouts: keep the member alive and try again. Bytes that fail
        // their CRC are fetched again a few times (a bad read; decodeMore counts them per partition),
        // then surface: a batch corrupt on the broker's disk reads the same every time, and stopping
        // loudly beats stalling in silence.
        // Only the bus's own failures: an error from onAssign/onRevoke (the caller's code) must reach
        // the caller, or the member would keep partitions it never reads.
        const retry =
          isTickstreamError(e) &&
          ((e.code === 'BUS_UNAVAILABLE' && e.retryable) || (e.code === 'BUS_LOG_CORRUPT' && e.retryable));
        if (retry) {
          await this.sleep(backoff);
          backoff = Math.min(backoff * 2, 2000);
          continue;
        }
        throw e;
      }
    }
  }

  private ensureJoined(): void {
    if (!this.needJoin || this.joining !== undefined || Date.now() < this.joinRetryAt) return;
    this.needJoin = false;
    this.joining = this.client
      .joinGroup({})
      .then(
        () => {
          this.joinBackoff = 100;
        },
        () => {
          this.needJoin = true;
          this.joinRetryAt = Date.now() + this.joinBackoff;
          this.joinBackoff = Math.min(this.joinBackoff * 2, 2000);
        },
      )
      .finally(() => {
        this.joining = undefined;
        this.wake();
      });
  }

  private async revokeAll(): Promise<void> {
    try {
      if (this.order.length > 0 && this.onRevoke !== undefined) await this.onRevoke(this.assignment());
    } finally {
      this.dropOwned();
      this.releaseJoins();
    }
  }

  private async assign(assignments: GroupAssignment[]): Promise<void> {
    this.pendingAssign = null;
    const tps: TopicPartition[] = [];
    for (const a of assignments) {
      if (!this.topics.includes(a.topic)) continue;
      for (const partition of a.partitions) tps.push({ topic: a.topic, partition });
    }
    tps.sort(byTopicPartition);
    // Eager rebalancing revoked everything before the join; anything still owned is from before.
    if (this.order.length > 0) await this.revokeAll();
    if (tps.length === 0) return;
    // A JoinGroup while this runs (onAssign may retry a store for long) waits for the pull loop to
    // revoke what is being assigned here, as it does for what is owned.
    this.assigning = true;
    try {
      const restored =
        this.onAssign === undefined ? undefined : await this.onAssign(tps.map((tp) => ({ ...tp })));
      // Every offset is checked before any partition is taken: none is then owned without being revoked.
      const fresh = tps.map((tp): Owned => {
        const key = tpKey(tp.topic, tp.partition);
        const at = restored?.get(key);
        if (at !== undefined && !(Number.isSafeInteger(at) && at >= 0)) {
          throw new TickstreamError('VALIDATION_FAILED', `onAssign offset for ${key} is not valid: ${at}`);
        }
        return {
          tp,
          key,
          fetchAt: at ?? -1,
          buffer: [],
          next: 0,
          raw: null,
          rawAt: 0,
          corruptReads: 0,
          logEnd: -1,
        };
      });
      for (const o of fresh) this.owned.set(o.key, o);
      this.epoch++;
      try {
        await this.resolveBeforeShown(fresh);
      } finally {
        this.order.push(...fresh);
      }
    } finally {
      this.assigning = false;
    }
  }

  /**
   * Positions are fixed before assignment() shows the partitions: 'latest' is the log's end when the
   * member got the partition, so a record written after the caller saw the assignment is read (it was
   * skipped when the first fetch resolved it). A broker not ready yet (leader moving right after the
   * topic was created) is asked again; only a close or a rebalance ends the wait early, and then the
   * pull loop revokes the partitions (or resolves them before fetching).
   */
  private async resolveBeforeShown(fresh: Owned[]): Promise<void> {
    let backoff = 100;
    for (;;) {
      const unresolved = fresh.filter((o) => o.fetchAt < 0);
      if (unresolved.length === 0) return;
      try {
        await this.resolvePositions(unresolved);
      } catch (e) {
        if (!(isTickstreamError(e) && e.code === 'BUS_UNAVAILABLE' && e.retryable)) throw e;
        if (this.closing || this.revokeWaiters.length > 0 || this.pendingAssign !== null) return;
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, 2000);
      }
    }
  }

  /** Committed offset, else earliest/latest, for owned partitions without a position. */
  private async resolvePositions(unresolved: Owned[]): Promise<void> {
    const epoch = this.epoch;
    const byTopic = new Map<string, number[]>();
    for (const o of unresolved) byTopic.set(o.tp.topic, [...(byTopic.get(o.tp.topic) ?? []), o.tp.partition]);
    const topics = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
    let committed: Map<string, bigint[]>;
    try {
      committed = await this.client.listCommittedOffsets({ topics });
    } catch (e) {
      throw toBusError(e, 'kafka committed offsets');
    }
    if (epoch !== this.epoch) return;
    const needReset: Owned[] = [];
    for (const o of unresolved) {
      const c = committed.get(o.tp.topic)?.[o.tp.partition];
      if (c !== undefined && c >= 0n) o.fetchAt = Number(c);
      else needReset.push(o);
    }
    if (needReset.length > 0) await this.resetPositions(needReset, epoch);
  }

  /** Sets each partition's position to its earliest or latest offset, per `reset`. */
  private async resetPositions(targets: Owned[], epoch: number): Promise<void> {
    const partitions: Record<string, number[]> = {};
    for (const o of targets) addPartition(partitions, o.tp);
    let offsets: Map<string, bigint[]>;
    try {
      offsets = await this.client.listOffsets({
        topics: Object.keys(partitions),
        partitions,
        timestamp: this.reset === 'latest' ? -1n : -2n,
      });
    } catch (e) {
      throw toBusError(e, 'kafka list offsets');
    }
    if (epoch !== this.epoch) return;
    for (const o of targets) {
      const at = offsets.get(o.tp.topic)?.[o.tp.partition];
      if (at === undefined) throw new TickstreamError('BUS_UNAVAILABLE', `no offset listed for ${o.key}`);
      o.fetchAt = Number(at);
      o.buffer = [];
      o.next = 0;
      o.raw = null;
    }
  }

  /** Up to maxBatch buffered records of the next partition (round-robin) that has some. */
  private takeBuffered(): RecordBatch | null {
    const n = this.order.length;
    for (let k = 0; k < n; k++) {
      const i = (this.cursor + k) % n;
      const o = this.order[i]!;
      if (o.raw !== null && o.buffer.length - o.next < this.maxBatch) this.decodeMore(o);
      const available = o.buffer.length - o.next;
      if (available <= 0) continue;
      const take = Math.min(available, this.maxBatch);
      const records =
        o.next === 0 && take === o.buffer.length ? o.buffer : o.buffer.slice(o.next, o.next + take);
      o.next += take;
      const left = o.buffer.length - o.next;
      if (left === 0) {
        o.buffer = [];
        o.next = 0;
      } else if (left < this.maxBatch) {
        // Keep only what is left (less than a batch): the buffer would otherwise hold the records just
        // handed out until this partition's next turn, a batch per partition alive across scavenges.
        o.buffer = o.buffer.slice(o.next);
        o.next = 0;
      }
      this.cursor = (i + 1) % n;
      const batch: RecordBatch = { topic: o.tp.topic, partition: o.tp.partition, records };
      // After the partition's last record: from the fetch position, past control batches too.
      if (o.logEnd >= 0)
        batch.lag = Math.max(
          0,
          o.logEnd - (left === 0 && o.raw === null ? o.fetchAt : records[records.length - 1]!.offset + 1),
        );
      // Once half the partitions are drained, fetch those while the others are processed: the round
      // trip overlaps the caller's work (a fetch skips partitions that still hold records or bytes, so
      // at most one response per partition is buffered).
      if (left === 0 && o.raw === null && 2 * this.drained() >= n) this.startFetch();
      return batch;
    }
    return null;
  }

  private drained(): number {
    let d = 0;
    for (const o of this.order) if (o.buffer.length === 0 && o.raw === null) d++;
    return d;
  }

  /** Waits for the fetch in flight (starting one if none) or for a wake-up (rebalance, close). */
  private async fetchOnce(): Promise<void> {
    this.startFetch();
    const fetching = this.fetching;
    await this.sleep(FETCH_WAIT_MS * 4);
    // Surface the fetch's error (once) if it failed and is done.
    if (this.fetching === undefined) await fetching!;
  }

  /**
   * Starts a fetch unless one is in flight, or a rebalance or close is pending. Its failure surfaces in
   * the pull that waits for it (fetchOnce); a prefetch that failed unobserved is simply retried by the
   * next pull.
   */
  private startFetch(): void {
    if (this.fetching !== undefined || this.closing) return;
    if (this.revokeWaiters.length > 0 || this.pendingAssign !== null || this.order.length === 0) return;
    const f = this.fetch(this.epoch);
    this.fetching = f;
    void f
      .catch(() => undefined)
      .finally(() => {
        if (this.fetching === f) this.fetching = undefined;
        this.wake();
      });
  }

  /** One Fetch per leader for every owned, positioned partition; records go into the buffers. */
  private async fetch(epoch: number): Promise<void> {
    let metadata: Awaited<ReturnType<Client['metadata']>>;
    try {
      metadata = await this.client.metadata({ topics: this.topics });
    } catch (e) {
      throw toBusError(e, 'kafka metadata');
    }
    if (epoch !== this.epoch) return;
    const byNode = new Map<number, { topicId: string; partitions: FetchPartition[] }[]>();
    const requested = new Map<string, { owned: Owned; offset: number }>();
    const names = new Map<string, string>();
    for (const o of this.order) {
      if (o.fetchAt < 0 || o.buffer.length > 0 || o.raw !== null) continue;
      const t = metadata.topics.get(o.tp.topic);
      const leader = t?.partitions[o.tp.partition]?.leader;
      if (t === undefined || leader === undefined || leader < 0) continue;
      names.set(t.id, o.tp.topic);
      requested.set(o.key, { owned: o, offset: o.fetchAt });
      const list = byNode.get(leader) ?? [];
      list.push({
        topicId: t.id,
        partitions: [
          {
            partition: o.tp.partition,
            fetchOffset: BigInt(o.fetchAt),
            partitionMaxBytes: PARTITION_MAX_BYTES,
            currentLeaderEpoch: -1,
            lastFetchedEpoch: -1,
          },
        ],
      });
      byNode.set(leader, list);
    }
    if (byNode.size === 0) {
      // No leader known for any partition (a broker restarting): let the caller back off.
      throw new TickstreamError('BUS_UNAVAILABLE', 'no partition leader available');
    }
    await Promise.all(
      [...byNode].map(async ([node, topics]) => {
        let response: Awaited<ReturnType<Client['fetch']>>;
        try {
          response = await this.client.fetch({
            node,
            topics,
            maxWaitTime: FETCH_WAIT_MS,
            minBytes: 1,
            maxBytes: FETCH_MAX_BYTES,
          });
        } catch (e) {
          if (isOffsetOutOfRange(e) && epoch === this.epoch) {
            // A stale checkpoint or records removed by retention: reset as auto.offset.reset does.
            await this.resetOutOfRange(topics, names, epoch);
            return;
          }
          throw toBusError(e, 'kafka fetch');
        }
        if (epoch !== this.epoch) return;
        for (const t of response.responses) {
          const topic = names.get(t.topicId);
          if (topic === undefined) continue;
          for (const p of t.partitions) {
            const req = requested.get(tpKey(topic, p.partitionIndex));
            if (req === undefined || req.owned.fetchAt !== req.offset) continue;
            req.owned.logEnd = Number(p.highWatermark);
            // fetch-fast hands some partitions' records over as bytes (RawRecords)
            const records = p.records as ParsedBatch[] | RawRecords | null | undefined;
            if (records != null) this.decode(req.owned, req.offset, records);
          }
        }
      }),
    );
  }

  private async resetOutOfRange(
    topics: { topicId: string; partitions: FetchPartition[] }[],
    names: Map<string, string>,
    epoch: number,
  ): Promise<void> {
    // Which partitions are out of range is not worth parsing from the error: check each against its
    // log's bounds, and reset only those outside.
    const targets: Owned[] = [];
    for (const t of topics) {
      const topic = names.get(t.topicId)!;
      for (const p of t.partitions) {
        const o = this.owned.get(tpKey(topic, p.partition));
        if (o !== undefined) targets.push(o);
      }
    }
    let earliest: Map<string, bigint[]>;
    let latest: Map<string, bigint[]>;
    const partitions: Record<string, number[]> = {};
    for (const o of targets) addPartition(partitions, o.tp);
    try {
      const topicsList = Object.keys(partitions);
      earliest = await this.client.listOffsets({ topics: topicsList, partitions, timestamp: -2n });
      latest = await this.client.listOffsets({ topics: topicsList, partitions, timestamp: -1n });
    } catch (e) {
      throw toBusError(e, 'kafka list offsets');
    }
    if (epoch !== this.epoch) return;
    const out = targets.filter((o) => {
      const lo = earliest.get(o.tp.topic)?.[o.tp.partition];
      const hi = latest.get(o.tp.topic)?.[o.tp.partition];
      return lo === undefined || hi === undefined || o.fetchAt < Number(lo) || o.fetchAt > Number(hi);
    });
    if (out.length > 0) await this.resetPositions(out, epoch);
  }

  /**
   * Takes a fetch response's records of the partition: bytes are kept to be decoded as pulls need them
   * (decodeMore), batches the library parsed are appended to the buffer at once.
   */
  private decode(o: Owned, from: number, batches: ParsedBatch[] | RawRecords): void {
    if (batches instanceof RawRecords) {
      o.raw = batches.bytes;
      o.rawAt = 0;
    } else {
      o.fetchAt = appendParsedBatches(batches, from, o.tp.topic, o.tp.partition, o.buffer);
    }
  }

  /**
   * Tops the partition's buffer up to maxBatch records or more (whole record batches) from its bytes, so
   * the batches handed out stay full. A batch that does not read drops the rest of the bytes: after good
   * ones the read ends before it (the next fetch starts there); as the first of a response it throws
   * BUS_LOG_CORRUPT, retryable for the first CORRUPT_RETRIES reads in a row: the pull backs off, and the
   * next fetch reads it again from the broker.
   */
  private decodeMore(o: Owned): void {
    const raw = o.raw!;
    const { topic, partition } = o.tp;
    const need = this.maxBatch - (o.buffer.length - o.next); // appended after what is left, in order
    try {
      const r = readRecordBatches(raw, o.fetchAt, topic, partition, o.buffer, o.rawAt, need);
      o.fetchAt = r.next;
      if (r.at >= raw.length) o.raw = null;
      else o.rawAt = r.at;
      if (r.records > 0) o.corruptReads = 0;
    } catch (e) {
      o.raw = null; // what the buffer holds is good: readRecordBatches leaves nothing of a bad batch
      if (!isTickstreamError(e, 'BUS_LOG_CORRUPT')) throw e;
      o.corruptReads++;
      throw new TickstreamError('BUS_LOG_CORRUPT', e.message, {
        cause: e,
        retryable: o.corruptReads <= CORRUPT_RETRIES,
      });
    }
  }

  /** Sleeps until woken or `ms` pass, unless a wake-up came while this pull was looking. */
  private sleep(ms: number): Promise<void> {
    if (this.signaled) {
      this.signaled = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.waker = null;
        resolve();
      }, ms);
      this.waker = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

interface FetchPartition {
  partition: number;
  fetchOffset: bigint;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
}
