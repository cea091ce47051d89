// The write path: rows grouped by partition key, deduplicated per primary key (last write wins), sent
// as UNLOGGED batches of one partition each (one mutation per batch on the replica, routed token-aware
// to it), with a bounded number of requests in flight.
//
// Why deduplicate: all statements of a batch share one write timestamp, and Cassandra resolves two
// writes of one cell with equal timestamps by comparing values, not by order. Keeping only the last
// row per key makes "the last upsert in a call wins" hold, as it does in the embedded store.
import type { Client } from 'cassandra-driver';

export type Params = unknown[];

export type WriteMode = 'batch' | 'single';

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

export interface WriteTuning {
  mode: WriteMode;
  /** Rows per single-partition batch. */
  maxBatchRows: number;
  /** Requests in flight per call. */
  concurrency: number;
}

/** Sends grouped rows of one statement as configured. */
export const writeGroups = async (
  client: Client,
  query: string,
  groups: PartitionGroups,
  tuning: WriteTuning,
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
  const chunks = groups.chunks(tuning.maxBatchRows);
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
