// Faults: Kafka, then Cassandra, stopped and restarted while the pipeline runs on them. Processors
// pause, retry with backoff and resume; the results equal an uninterrupted embedded run over the same
// input (nothing lost, nothing counted twice).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openStore } from '../../src/app/adapters.ts';
import { parseConfig } from '../../src/config.ts';
import type { EventTimeMs } from '../../src/domain/types.ts';
import { Universe } from '../../src/domain/universe.ts';
import { deleteTopicsContaining, exited } from './helpers.ts';

const enabled = process.env.STACK_TESTS === '1';
const root = join(import.meta.dirname, '..', '..');
const node = join(root, 'node_modules', '.bin', 'node');
const main = join(root, 'src', 'cli', 'main.ts');
const stack = join(root, 'scripts', 'stack', 'stack.sh');
const ALL = { from: 0 as EventTimeMs, to: 8.64e15 as EventTimeMs };
const INTERVALS = [1000, 60_000, 300_000, 3_600_000];
const USERS = 200;
const SIM = [
  ...['--source', 'sim', '--start', 'fixed', '--rate', '1500', '--limit', '45000'],
  ...['--users', String(USERS), '--fill-rate', '200', '--exit-when-done', '--port', '0'],
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stackCmd = (...args: string[]) => {
  const r = spawnSync('bash', [stack, ...args], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, `stack.sh ${args.join(' ')}: ${r.stdout}${r.stderr}`);
};

describe('faults: Kafka and Cassandra restarted mid-stream', {
  skip: !enabled && 'needs the local stack (STACK_TESTS=1)',
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-faults-'));
  const id = randomBytes(4).toString('hex');
  after(async () => {
    // leave the stack as the suite expects it: running
    stackCmd('start', 'all');
    rmSync(dir, { recursive: true, force: true });
    await deleteTopicsContaining(`faults${id}.`);
  });

  it('pauses, retries and resumes with identical results', { timeout: 900_000 }, async () => {
    const ref = spawn(node, [main, 'run', ...SIM, '--data-dir', join(dir, 'ref')], { stdio: 'ignore' });
    assert.equal(await exited(ref), 0, 'reference run');

    const keyspace = `ts_faults_${id}`;
    const env = {
      ...process.env,
      TICKSTREAM_BUS__KIND: 'kafka',
      TICKSTREAM_BUS__NAMESPACE: `faults${id}`,
      TICKSTREAM_STORE__KIND: 'cassandra',
      TICKSTREAM_STORE__CASSANDRA__KEYSPACE: keyspace,
    };
    let log = '';
    const run = spawn(node, [main, 'run', ...SIM, '--data-dir', join(dir, 'run')], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    run.stderr?.on('data', (d: Buffer) => {
      log = (log + d.toString()).slice(-30_000);
    });
    const done = exited(run);
    // The source runs ~30 s; break each backend for a few seconds while it runs.
    await sleep(8000);
    stackCmd('stop', 'kafka');
    await sleep(4000);
    stackCmd('start', 'kafka');
    await sleep(3000);
    stackCmd('stop', 'cassandra');
    await sleep(4000);
    stackCmd('start', 'cassandra');
    assert.equal(await done, 0, log);
    assert.ok(run.exitCode === 0);

    const reference = await openStore(parseConfig({ dataDir: join(dir, 'ref') }));
    const store = await openStore(parseConfig({ store: { kind: 'cassandra', cassandra: { keyspace } } }));
    try {
      let candles = 0;
      for (const symbol of Universe.default().symbols) {
        for (const interval of INTERVALS) {
          const want = await reference.candles(symbol, interval, ALL);
          assert.deepEqual(await store.candles(symbol, interval, ALL), want, `${symbol} ${interval}`);
          candles += want.length;
        }
      }
      assert.ok(candles > 1000, `compared ${candles} candles`);
      let positions = 0;
      for (let u = 0; u < USERS; u++) {
        const want = await reference.positions(u);
        assert.deepEqual(await store.positions(u), want, `user ${u}`);
        positions += want.length;
      }
      assert.ok(positions > 50, `compared ${positions} positions`);
    } finally {
      await reference.close();
      await store.close();
    }
  });
});
