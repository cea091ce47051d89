// Distributed mode on real Kafka and Cassandra: each role its own process, two analytics and two
// portfolio processes sharing partitions. One of each is killed with SIGKILL mid-stream; the others
// take over its partitions from its checkpoints, and the final candles and positions equal those of
// an uninterrupted embedded run over the same input.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Client } from 'cassandra-driver';
import { openBus, openStore } from '../../src/app/adapters.ts';
import { parseConfig } from '../../src/config.ts';
import { TOPICS } from '../../src/domain/topics.ts';
import type { Candle, EventTimeMs } from '../../src/domain/types.ts';
import { Universe } from '../../src/domain/universe.ts';
import { deleteTopicsContaining, exited, until } from './helpers.ts';

const enabled = process.env.STACK_TESTS === '1';
const root = join(import.meta.dirname, '..', '..');
const node = join(root, 'node_modules', '.bin', 'node');
const main = join(root, 'src', 'cli', 'main.ts');
const ALL = { from: 0 as EventTimeMs, to: 8.64e15 as EventTimeMs };
const INTERVALS = [1000, 60_000, 300_000, 3_600_000];
const LIMIT = 30_000;
const USERS = 300;
const SIM = [
  '--source',
  'sim',
  '--start',
  'fixed',
  '--rate',
  '3000',
  '--limit',
  String(LIMIT),
  '--users',
  String(USERS),
  '--fill-rate',
  '400',
];
const PARTITIONS = '4';

const id = randomBytes(4).toString('hex');
const namespace = `dist${id}`;
const keyspace = `ts_dist_${id}`;
const distEnv = {
  ...process.env,
  TICKSTREAM_BUS__KIND: 'kafka',
  TICKSTREAM_BUS__NAMESPACE: namespace,
  TICKSTREAM_BUS__PARTITIONS: PARTITIONS,
  TICKSTREAM_STORE__KIND: 'cassandra',
  TICKSTREAM_STORE__CASSANDRA__KEYSPACE: keyspace,
  TICKSTREAM_ENGINE__CHECKPOINT_INTERVAL_MS: '300',
  // The smallest chunk the config allows: the checkpoints taken over after the kill are chunked ones.
  TICKSTREAM_STORE__CASSANDRA__CHECKPOINT_CHUNK_BYTES: '1024',
};

/**
 * A distributed run never ends, so its last bars stay provisional, and a provisional bar's indicators
 * come from the "as if closed now" path, whose float sums may differ from the final path's in the last
 * bits. So: prices, volume and counts exactly; indicators within a relative 1e-9; `final` ignored.
 */
const assertSameCandles = (actual: Candle[], expected: Candle[], what: string): void => {
  const exact = (cs: Candle[]) =>
    cs.map((c) => [c.symbol, c.intervalMs, c.start, c.open, c.high, c.low, c.close, c.volume, c.trades]);
  assert.deepEqual(exact(actual), exact(expected), what);
  const close = (a: number | undefined, b: number | undefined, name: string) =>
    assert.ok(
      a === b || (a !== undefined && b !== undefined && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b))),
      `${what} ${name}: ${a} vs ${b}`,
    );
  actual.forEach((c, i) => {
    const e = expected[i] as Candle;
    close(c.vwap, e.vwap, 'vwap');
    const flat = (x: Candle) =>
      Object.entries({
        ...Object.fromEntries(Object.entries(x.indicators.sma ?? {}).map(([k, v]) => [`sma${k}`, v])),
        ...Object.fromEntries(Object.entries(x.indicators.ema ?? {}).map(([k, v]) => [`ema${k}`, v])),
        rsi: x.indicators.rsi,
        ...x.indicators.bollinger,
      }).filter(([, v]) => v !== undefined);
    const fa = flat(c);
    const fe = new Map(flat(e));
    assert.deepEqual(fa.map(([k]) => k).sort(), [...fe.keys()].sort(), `${what} indicators at ${c.start}`);
    for (const [k, v] of fa) close(v as number, fe.get(k) as number, k);
  });
};

describe('distributed mode (Kafka + Cassandra)', {
  skip: !enabled && 'needs the local stack (STACK_TESTS=1)',
}, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ts-dist-'));
  const refDir = mkdtempSync(join(tmpdir(), 'ts-dist-ref-'));
  const procs: ChildProcess[] = [];
  const logs = new Map<ChildProcess, string>();
  const start = (name: string, args: string[]): ChildProcess => {
    const p = spawn(node, [main, 'run', ...args, '--port', '0', '--data-dir', join(dataDir, name)], {
      env: distEnv,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    logs.set(p, '');
    p.stderr?.on('data', (d: Buffer) => logs.set(p, ((logs.get(p) ?? '') + d.toString()).slice(-20_000)));
    procs.push(p);
    return p;
  };

  after(async () => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    await Promise.all(procs.map(exited));
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(refDir, { recursive: true, force: true });
    await deleteTopicsContaining(`${namespace}.`);
  });

  it('kill -9 one analytics and one portfolio process mid-stream: the survivors finish with identical results', {
    timeout: 600_000,
  }, async () => {
    // Reference: the same input through the embedded pipeline, uninterrupted.
    const ref = spawn(node, [main, 'run', ...SIM, '--exit-when-done', '--port', '0', '--data-dir', refDir], {
      env: { ...process.env, TICKSTREAM_BUS__PARTITIONS: PARTITIONS },
      stdio: 'ignore',
    });
    assert.equal(await exited(ref), 0, 'reference run');

    // Topics and schema first, from one process (concurrent schema changes on a fresh keyspace conflict).
    const config = parseConfig({
      bus: { kind: 'kafka', namespace, partitions: Number(PARTITIONS) },
      store: { kind: 'cassandra', cassandra: { keyspace } },
    });
    const bus = await openBus(config);
    const store = await openStore(config);
    const sinks = start('sinks', ['--role', 'sinks', '--source', 'none']);
    const a1 = start('a1', ['--role', 'analytics', '--source', 'none']);
    const a2 = start('a2', ['--role', 'analytics', '--source', 'none']);
    const p1 = start('p1', ['--role', 'portfolio', '--source', 'none']);
    const p2 = start('p2', ['--role', 'portfolio', '--source', 'none']);
    try {
      const lagOf = async (group: string, topic: string): Promise<number> => {
        const [end, done] = await Promise.all([bus.endOffsets(topic), bus.committedOffsets(group, topic)]);
        return end.reduce((a, e, i) => a + Math.max(0, e - Math.max(0, done[i] ?? 0)), 0);
      };
      const ingest = start('ingest', ['--role', 'ingest', ...SIM, '--exit-when-done']);

      // Kill one member of each group once it has checkpointed some, not all, of the input.
      await until(
        'first checkpoints',
        async () => {
          const t = await bus.committedOffsets('analytics', TOPICS.trades);
          return t.some((o) => o > 0);
        },
        120_000,
      );
      a2.kill('SIGKILL');
      p2.kill('SIGKILL');
      await Promise.all([exited(a2), exited(p2)]);
      const done = (await bus.committedOffsets('analytics', TOPICS.trades)).reduce(
        (a, o) => a + Math.max(0, o),
        0,
      );
      assert.ok(done < LIMIT, `killed mid-stream (${done} trades committed)`);

      assert.equal(await exited(ingest), 0, 'ingest finished');
      await until(
        'survivors and sinks caught up',
        async () =>
          (await lagOf('analytics', TOPICS.trades)) === 0 &&
          (await lagOf('portfolio', TOPICS.fills)) === 0 &&
          (await lagOf('sink-candles', TOPICS.candles)) === 0 &&
          (await lagOf('sink-portfolio', TOPICS.portfolioUpdates)) === 0,
        300_000,
      );
      for (const p of [a1, p1, sinks]) assert.equal(p.exitCode, null, `${logs.get(p)}`);

      const reference = await openStore(parseConfig({ dataDir: refDir }));
      try {
        let candles = 0;
        for (const symbol of Universe.default().symbols) {
          for (const interval of INTERVALS) {
            const want = await reference.candles(symbol, interval, ALL);
            assertSameCandles(await store.candles(symbol, interval, ALL), want, `${symbol} ${interval}`);
            candles += want.length;
          }
        }
        assert.ok(candles > 500, `compared ${candles} candles`);
        let positions = 0;
        for (let u = 0; u < USERS; u++) {
          const want = await reference.positions(u);
          assert.deepEqual(await store.positions(u), want, `user ${u}`);
          positions += want.length;
        }
        assert.ok(positions > 100, `compared ${positions} positions`);
      } finally {
        await reference.close();
      }
      // What the survivors restored were chunked checkpoints (CHECKPOINT_CHUNK_BYTES above): every
      // analytics and portfolio checkpoint of this keyspace names a generation of chunks.
      const admin = new Client({ contactPoints: ['127.0.0.1:9042'], localDataCenter: 'datacenter1' });
      try {
        await admin.connect();
        const heads = (
          await admin.execute(`SELECT processor, part, chunks FROM ${keyspace}.checkpoints`)
        ).rows.filter((r) => r.processor === 'analytics' || r.processor === 'portfolio');
        assert.equal(heads.length, 2 * Number(PARTITIONS), 'a checkpoint per partition of both processors');
        for (const h of heads) assert.ok(h.chunks > 1, `${h.processor}/${h.part}: ${h.chunks} chunks`);
      } finally {
        await admin.shutdown();
      }
    } finally {
      await bus.close();
      await store.close();
    }
  });
});
