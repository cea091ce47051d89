// The write path: rows grouped by partition key, deduplicated per primary key (last write wins), sent
// as UNLOGGED batches with a bounded number of requests in flight.
//
// Two batch shapes:
// - 'replica' (the default): partitions whose replicas are the same hosts share batches, up to
//   `maxBatchRows` rows and about `maxBatchBytes` of data each. A sink's flush holds a few rows for
//   each of many partitions (one forming candle per series, a few trades per symbol), so one request
//   per partition pays the request's fixed cost (framing, dispatch, response, the driver's per-request
//   work) for 1–5 rows. Grouping by replica set keeps the one objection to multi-partition batches
//   away: the batch is routed token-aware to a replica of every partition in it, so the coordinator
//   forwards nothing it would not forward for single-partition writes. On one node every partition
//   shares the replica.
// - 'batch': one partition per batch (the previous default, kept for comparison).
//
// Why deduplicate: all statements of a batch share one write timestamp, and Cassandra resolves two
// writes of one cell with equal timestamps by comparing values, not by order. Keeping only the last
// row per key makes "the last upsert in a call wins" hold, as it does in the embedded store.
import type { Client } from 'cassandra-driver';

export type Params = unknown[];

export type WriteMode = 'replica' | 'batch' | 'single';

/** CQL types of a table's partition key columns, which lead every row's params, in order. */
export type KeyTypes = readonly ('text' | 'bigint' | 'int')[];

/** What the 'replica' mode needs to find a partition's replicas in the driver's metadata. */
export interface Route {
  keyspace: string;
  key: KeyTypes;
  /** Replica sets already looked up, by partition (see ReplicaCache). */
  cache?: ReplicaCache;
}

/**
 * Replica sets by partition, per key layout, so that a partition's token is hashed once rather than on
 * every call (the driver's Murmur3 on its emulated 64-bit integers was ~7 % of the writer's busy CPU in
 * the cassandra-write profile). The partition string is the PartitionGroups key, which is an injective
 * rendering of the partition key's values, so one string and one layout always mean one token. The
 * whole cache is dropped every `ttlMs` and when it holds `maxEntries`: after a topology change a stale
 * entry only groups a partition with the wrong replicas for a while, and such a batch is still applied
 * correctly (its coordinator forwards what it does not own).
 */
export class ReplicaCache {
  private readonly byLayout = new Map<KeyTypes, Map<string, unknown>>();
  private entries = 0;
  private bornAt: number;
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(maxEntries = 100_000, ttlMs = 10_000, now: () => number = () => performance.now()) {
    this.maxEntries = maxEntries;
    this.ttlMs = ttlMs;
    this.now = now;
    this.bornAt = now();
  }

  /** The cached replica set, or compute()'s; an undefined or null answer (no metadata) is not kept. */
  get(layout: KeyTypes, partition: string, compute: () => unknown): unknown {
    const t = this.now();
    if (t - this.bornAt >= this.ttlMs || this.entries >= this.maxEntries) {
      this.byLayout.clear();
      this.entries = 0;
      this.bornAt = t;
    }
    let m = this.byLayout.get(layout);
    if (m === undefined) {
      m = new Map();
      this.byLayout.set(layout, m);
    }
    const hit = m.get(partition);
    if (hit !== undefined) return hit;
    const v = compute();
    if (v !== undefined && v !== null) {
      m.set(partition, v);
      this.entries++;
    }
    return v;
  }
}

/** Rows of one table grouped by partition, each partition's rows keyed by clustering key. */
export class PartitionGroups {
  readonly groups = new Map<string, Map<string, Params>>();
  rows = 0;

  /** Adds a row; returns true when it opened a new partition group (the caller may index it). */
  add(partitionKey: string, clusteringKey: string, params: Params): boolean {
    let g = this.groups.get(partitionKey);
    const opened = g === undefined;
    if (g === undefined) {
      g = new Map();
      this.groups.set(partitionKey, g);
    }
    g.set(clusteringKey, params);
    this.rows++;
    return opened;
  }

  /** Requests to send: chunks of at most `maxRows` rows, each chunk within one partition. */
  chunks(maxRows: number): Params[][] {
    const out: Params[][] = [];
    for (const g of this.groups.values()) {
      let chunk: Params[] = [];
      for (const p of g.values()) {
        chunk.push(p);
        if (chunk.length === maxRows) {
          out.push(chunk);
          chunk = [];
        }
      }
      if (chunk.length > 0) out.push(chunk);
    }
    return out;
  }
}

/**
 * Runs task(0 … count-1) with at most `limit` running at once. On the first failure no new task
 * starts; the promise rejects with that failure once the running ones have settled (so nothing is
 * still writing when the caller sees the error and retries).
 */
export const runBounded = async (
  count: number,
  limit: number,
  task: (i: number) => Promise<void>,
): Promise<void> => {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < count) {
      const i = next++;
      try {
        await task(i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers: Promise<void>[] = [];
  for (let w = 0; w < Math.min(limit, count); w++) workers.push(worker());
  await Promise.all(workers);
  if (failure !== undefined) throw failure.error;
};

/** Results of task(0 … count-1), in index order, with at most `limit` running at once. */
export const mapBounded = async <R>(
  count: number,
  limit: number,
  task: (i: number) => Promise<R>,
): Promise<R[]> => {
  const out = new Array<R>(count);
  await runBounded(count, limit, async (i) => {
    out[i] = await task(i);
  });
  return out;
};

const keyPart = (v: unknown, type: KeyTypes[number]): Buffer => {
  if (type === 'text') return Buffer.from(String(v), 'utf8');
  const b = Buffer.allocUnsafe(type === 'int' ? 4 : 8);
  if (type === 'int') b.writeInt32BE(Number(v));
  else b.writeBigInt64BE(BigInt(v as number));
  return b;
};

/**
 * The routing key Cassandra hashes to a token: the partition key's serialized value, or for a composite
 * key each component as [u16 length][bytes][0] (CompositeType), as the driver builds it.
 */
export const routingKey = (params: Params, key: KeyTypes): Buffer => {
  if (key.length === 1) return keyPart(params[0], key[0]!);
  const parts = key.map((t, i) => keyPart(params[i], t));
  const out = Buffer.allocUnsafe(parts.reduce((n, p) => n + p.length + 3, 0));
  let o = 0;
  for (const p of parts) {
    o = out.writeUInt16BE(p.length, o);
    o += p.copy(out, o);
    o = out.writeUInt8(0, o);
  }
  return out;
};

/**
 * Upper estimate of a row's share of a batch as the server counts it against
 * batch_size_warn/fail_threshold (each cell's value plus timestamp, TTL and deletion time; the
 * clustering and liveness of the row; the partition's key): strings at one byte per UTF-16 unit (so a
 * default `maxBatchBytes` of 16 KiB stays under the default 50 KiB fail threshold even if every
 * character took 3 bytes), 8 bytes per number, 16 per value for the cell's metadata, 24 per row.
 */
export const rowBytes = (params: Params): number => {
  let n = 24;
  for (const v of params) {
    n += 16;
    if (typeof v === 'string') n += v.length;
    else if (v instanceof Uint8Array) n += v.byteLength;
    else if (typeof v === 'number') n += 8;
    else n += 1;
  }
  return n;
};

/**
 * Requests for the 'replica' mode: partitions with the same `bucketOf` (their replica set) share
 * batches of at most `maxRows` rows and about `maxBytes` (a batch always takes at least one row).
 * A partition larger than a batch continues in the next one.
 */
export const replicaChunks = (
  groups: PartitionGroups,
  bucketOf: (partition: string, firstRow: Params) => unknown,
  maxRows: number,
  maxBytes: number,
): Params[][] => {
  const buckets = new Map<unknown, Map<string, Params>[]>();
  for (const [partition, g] of groups.groups) {
    const first = g.values().next().value as Params;
    const k = bucketOf(partition, first);
    const b = buckets.get(k);
    if (b === undefined) buckets.set(k, [g]);
    else b.push(g);
  }
  const out: Params[][] = [];
  for (const parts of buckets.values()) {
    let chunk: Params[] = [];
    let bytes = 0;
    for (const g of parts) {
      for (const p of g.values()) {
        const n = rowBytes(p);
        if (chunk.length > 0 && (chunk.length === maxRows || bytes + n > maxBytes)) {
          out.push(chunk);
          chunk = [];
          bytes = 0;
        }
        chunk.push(p);
        bytes += n;
      }
    }
    if (chunk.length > 0) out.push(chunk);
  }
  return out;
};

export interface WriteTuning {
  mode: WriteMode;
  /** Rows per batch. */
  maxBatchRows: number;
  /** Estimated data per multi-partition batch ('replica' mode), see `rowBytes`. */
  maxBatchBytes: number;
  /** Requests in flight per call. */
  concurrency: number;
}

/** Sends grouped rows of one statement as configured. */
export const writeGroups = async (
  client: Client,
  query: string,
  groups: PartitionGroups,
  tuning: WriteTuning,
  route: Route,
): Promise<void> => {
  if (groups.rows === 0) return;
  if (tuning.mode === 'single') {
    const all: Params[] = [];
    for (const g of groups.groups.values()) for (const p of g.values()) all.push(p);
    await runBounded(all.length, tuning.concurrency, async (i) => {
      await client.execute(query, all[i], PREPARED);
    });
    return;
  }
  const chunks =
    tuning.mode === 'batch'
      ? groups.chunks(tuning.maxBatchRows)
      : replicaChunks(
          groups,
          // The driver returns one array per token range, so equal replica sets are the same object.
          // Without metadata (null) each partition stays alone: never a batch spanning unknown hosts.
          (partition, first) => {
            const lookup = () => client.getReplicas(route.keyspace, routingKey(first, route.key));
            return (
              (route.cache === undefined ? lookup() : route.cache.get(route.key, partition, lookup)) ?? first
            );
          },
          tuning.maxBatchRows,
          tuning.maxBatchBytes,
        );
  await runBounded(chunks.length, tuning.concurrency, async (i) => {
    const chunk = chunks[i]!;
    if (chunk.length === 1) await client.execute(query, chunk[0], PREPARED);
    else
      await client.batch(
        chunk.map((params) => ({ query, params })),
        UNLOGGED,
      );
  });
};

export const PREPARED = { prepare: true } as const;
export const UNLOGGED = { prepare: true, logged: false } as const;
/** Writes that must land together across tables (a row and its index/view row). */
export const LOGGED = { prepare: true, logged: true } as const;
