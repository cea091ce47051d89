// Crash and restore on the embedded default: a run killed with SIGKILL mid-stream and started again
// ends with the same candles, alerts and positions as a run that was never interrupted.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { EventTimeMs } from '../src/domain/types.ts';
import { Universe } from '../src/domain/universe.ts';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';

const root = join(import.meta.dirname, '..');
const node = join(root, 'node_modules', '.bin', 'node');
const ALL = { from: 0 as EventTimeMs, to: 8.64e15 as EventTimeMs };
const INTERVALS = [1000, 60_000, 300_000, 3_600_000];

const args = (dir: string): string[] => [
  join(root, 'src', 'cli', 'main.ts'),
  'run',
  '--source',
  'sim',
  '--rate',
  'max',
  '--start',
  'fixed',
  '--limit',
  '60000',
  '--users',
  '400',
  '--fill-rate',
  '300',
  '--exit-when-done',
  '--port',
  '0',
  '--data-dir',
  dir,
];
const env = {
  ...process.env,
  TICKSTREAM_ENGINE__CHECKPOINT_INTERVAL_MS: '200',
  TICKSTREAM_BUS__PARTITIONS: '4',
};

const runToEnd = (dir: string): Promise<number | null> =>
  new Promise((resolve) => {
    const p = spawn(node, args(dir), { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-4000);
    });
    p.on('exit', (code) => {
      if (code !== 0) console.error(err);
      resolve(code);
    });
  });

/** Analytics offsets checkpointed so far (sum over partitions), read from the store of a live run. */
const checkpointed = async (dir: string): Promise<number> => {
  let store: SqliteStore | undefined;
  try {
    store = SqliteStore.open(dir);
    let sum = 0;
    for (let p = 0; p < 4; p++) sum += (await store.loadCheckpoint('analytics', p))?.offsets.trades ?? 0;
    return sum;
  } catch {
    return 0; // not created yet
  } finally {
    await store?.close();
  }
};

describe('crash and restore (embedded)', () => {
  const a = mkdtempSync(join(tmpdir(), 'ts-crash-a-'));
  const b = mkdtempSync(join(tmpdir(), 'ts-crash-b-'));
  after(() => {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  });

  it('kill -9 mid-stream, restart: same candles, alerts and positions as an uninterrupted run', async () => {
    assert.equal(await runToEnd(a), 0, 'uninterrupted run');

    // Interrupted run: SIGKILL as soon as some, not all, input has been checkpointed.
    const victim = spawn(node, args(b), { env, stdio: 'ignore' });
    const exited = new Promise((r) => victim.on('exit', r));
    let atKill = 0;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      atKill = await checkpointed(b);
      if (atKill > 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    victim.kill('SIGKILL');
    await exited;
    assert.ok(atKill > 0, 'a checkpoint was written before the kill');
    assert.ok(atKill < 60_000, `killed mid-stream (checkpointed ${atKill} of 60000 trades)`);
    assert.equal(await runToEnd(b), 0, 'restarted run');

    const sa = SqliteStore.open(a);
    const sb = SqliteStore.open(b);
    try {
      let candles = 0;
      for (const symbol of Universe.default().symbols) {
        for (const interval of INTERVALS) {
          const ca = await sa.candles(symbol, interval, ALL);
          assert.deepEqual(await sb.candles(symbol, interval, ALL), ca, `${symbol} ${interval}`);
          candles += ca.length;
        }
        assert.deepEqual(
          await sb.alertsBySymbol(symbol, ALL),
          await sa.alertsBySymbol(symbol, ALL),
          `${symbol} alerts`,
        );
      }
      assert.ok(candles > 1000, `compared ${candles} candles`);
      let positions = 0;
      for (let u = 0; u < 400; u++) {
        const pa = await sa.positions(u);
        assert.deepEqual(await sb.positions(u), pa, `user ${u}`);
        positions += pa.length;
      }
      assert.ok(positions > 100, `compared ${positions} positions`);
    } finally {
      await sa.close();
      await sb.close();
    }
  });
});
