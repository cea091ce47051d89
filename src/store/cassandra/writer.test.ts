// Unit tests of the write path's pure parts: routing keys (checked against tokens the Cassandra server
// computed for the same keys, hashed with the driver's own Murmur3), the batch size estimate, and the
// replica grouping of partitions into batches.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type KeyTypes,
  type Params,
  PartitionGroups,
  ReplicaCache,
  replicaChunks,
  routingKey,
  rowBytes,
} from './writer.ts';

// The driver's token hash (lib/tokenizer.js has no type declarations, hence require).
const { Murmur3Tokenizer } = createRequire(import.meta.url)('cassandra-driver/lib/tokenizer.js') as {
  Murmur3Tokenizer: new () => { hash(b: Buffer): { getValue(): { toString(): string } } };
};
const tokenOf = (key: Buffer): string => new Murmur3Tokenizer().hash(key).getValue().toString();

test('routingKey: hashes to the token Cassandra 5.0 computed for the same partition key', () => {
  // Expected tokens from `SELECT token(...)` on the local node (scripts/stack), not from this code.
  const cases: [Params, KeyTypes, string][] = [
    [['AAPL', 60_000, '2024-01-16'], ['text', 'bigint', 'text'], '-7046610626113808019'],
    [['Ünï', -5, '1970-01-01'], ['text', 'bigint', 'text'], '4585190616095023793'],
    [[9_007_199_254_740_991], ['bigint'], '1961511707105643015'],
    [['2024-01-16'], ['text'], '-6668048045646321958'],
    [[-7, 'x'], ['int', 'text'], '-8034225873001627238'],
  ];
  for (const [params, key, token] of cases) assert.equal(tokenOf(routingKey(params, key)), token);
});

test('routingKey: composite layout is [u16 length][bytes][0] per component', () => {
  const k = routingKey(['AB', 1, 'c'], ['text', 'int', 'text']);
  assert.deepEqual([...k], [0, 2, 65, 66, 0, 0, 4, 0, 0, 0, 1, 0, 0, 1, 99, 0]);
  // A single component is its bare serialized value.
  assert.deepEqual([...routingKey([258], ['bigint'])], [0, 0, 0, 0, 0, 0, 1, 2]);
});

test('rowBytes: 24 per row, 16 per value plus its size', () => {
  // 24 + (16+4 'AAPL') + (16+8 number) + (16+1 boolean) + (16+3 blob) + (16+0 '')
  assert.equal(rowBytes(['AAPL', 1.5, true, new Uint8Array(3), '']), 24 + 20 + 24 + 17 + 19 + 16);
});

/** Groups built from (partition, clustering) pairs; each row's params carry both, for checking. */
const groupsOf = (rows: readonly [number, number][]): PartitionGroups => {
  const g = new PartitionGroups();
  for (const [p, c] of rows) g.add(`p${p}`, `c${c}`, [`p${p}`, c, 'x'.repeat(c % 40)]);
  return g;
};

test('replicaChunks: every row once, limits held, one bucket per batch, partition order kept', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(30), fc.nat(60)), { maxLength: 300 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 2000 }),
      (rows, nBuckets, maxRows, maxBytes) => {
        const g = groupsOf(rows);
        const bucketOf = (first: Params): number => Number(String(first[0]).slice(1)) % nBuckets;
        const chunks = replicaChunks(g, (_, first) => bucketOf(first), maxRows, maxBytes);
        // Every deduplicated row exactly once.
        const expected = new Set(rows.map(([p, c]) => `p${p}/${c}`));
        const seen: string[] = chunks.flat().map((r) => `${r[0]}/${r[1]}`);
        assert.equal(seen.length, expected.size);
        assert.deepEqual(new Set(seen), expected);
        const order = new Map<string, number[]>();
        for (const chunk of chunks) {
          assert.ok(chunk.length >= 1 && chunk.length <= maxRows);
          const bytes = chunk.reduce((n, r) => n + rowBytes(r), 0);
          assert.ok(chunk.length === 1 || bytes <= maxBytes, `batch of ${bytes} bytes over ${maxBytes}`);
          assert.equal(new Set(chunk.map(bucketOf)).size, 1);
          for (const r of chunk) {
            const list = order.get(String(r[0])) ?? [];
            list.push(Number(r[1]));
            order.set(String(r[0]), list);
          }
        }
        // Within a partition, rows go out in the order the groups hold them.
        for (const [p, cs] of order)
          assert.deepEqual(
            cs,
            [...g.groups.get(p)!.values()].map((r) => r[1]),
          );
      },
    ),
  );
});

test('replicaChunks: partitions of one replica set share batches; unknown replicas stay alone', () => {
  const g = groupsOf([
    [1, 1],
    [2, 1],
    [3, 1],
    [1, 2],
  ]);
  const shared = replicaChunks(g, () => 'node-a', 100, 100_000);
  assert.equal(shared.length, 1);
  assert.equal(shared[0]!.length, 4);
  // The fallback bucket is the partition's first row: distinct per partition.
  const alone = replicaChunks(g, (_, first) => first, 100, 100_000);
  assert.deepEqual(
    alone.map((c) => c.length),
    [2, 1, 1],
  );
});

test('ReplicaCache: one lookup per partition and layout; null answers are not kept; dropped on expiry and when full', () => {
  let now = 0;
  const cache = new ReplicaCache(3, 1000, () => now);
  const calls: string[] = [];
  const lookup = (what: string, answer: unknown) => () => {
    calls.push(what);
    return answer;
  };
  const A = ['text'] as const;
  const B = ['bigint'] as const;
  const r1 = ['host1'];
  assert.equal(cache.get(A, 'p1', lookup('A/p1', r1)), r1);
  assert.equal(cache.get(A, 'p1', lookup('A/p1 again', ['other'])), r1);
  // The same partition string under another key layout is another partition.
  assert.deepEqual(cache.get(B, 'p1', lookup('B/p1', ['host2'])), ['host2']);
  // No metadata yet: asked again next time.
  assert.equal(cache.get(A, 'p2', lookup('A/p2', null)), null);
  assert.deepEqual(cache.get(A, 'p2', lookup('A/p2 again', ['host3'])), ['host3']);
  assert.deepEqual(calls, ['A/p1', 'B/p1', 'A/p2', 'A/p2 again']);
  // Full (3 entries): the next lookup starts afresh.
  cache.get(A, 'p1', lookup('A/p1 after full', r1));
  assert.equal(calls.at(-1), 'A/p1 after full');
  cache.get(A, 'p1', lookup('not called', r1));
  assert.equal(calls.at(-1), 'A/p1 after full');
  // Expired after ttlMs.
  now = 1000;
  cache.get(A, 'p1', lookup('A/p1 after expiry', r1));
  assert.equal(calls.at(-1), 'A/p1 after expiry');
});
