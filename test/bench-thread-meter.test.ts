// ThreadGroupMeter (bench/kafka-stack.ts) gives the per-thread CPU shares that BENCHMARKS.md quotes
// (compaction, flushes, GC, JIT). Checked on this process's own threads, whose CPU each thread measures
// for itself (process.threadCpuUsage): /proc's names ('MainThread', 'WorkerThread'), and a thread that
// starts after the first sample and ends before the last, which a total read at two instants misses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { machineCpuSeconds, ThreadGroupMeter } from '../bench/kafka-stack.ts';

/** /proc counts in 10 ms ticks: a thread's figure may lag its own count by about one tick per read. */
const TICKS = 0.03;

const burnThisThread = (seconds: number): number => {
  const t0 = process.threadCpuUsage();
  let used = 0;
  while (used < seconds) {
    const d = process.threadCpuUsage(t0);
    used = (d.user + d.system) / 1e6;
  }
  return used;
};

test("the main thread's CPU is counted in its group, and within the process's", () => {
  const meter = new ThreadGroupMeter(process.pid, [/^MainThread$/, /^no such thread$/]);
  assert.equal(meter.sample(), true);
  const used = burnThisThread(0.3);
  assert.equal(meter.sample(), true);
  const [main, none] = meter.groupSeconds();
  assert.ok(main! >= used - TICKS, `main thread ${main} s, it used ${used} s`);
  assert.equal(none, 0);
  assert.ok(main! <= meter.cpuSeconds() + TICKS, `group ${main} s > process ${meter.cpuSeconds()} s`);
  const [share] = meter.shares()!;
  assert.ok(share! > 0 && share! <= 1 + TICKS / meter.cpuSeconds(), `share ${share}`);
});

test('a thread that starts after the first sample and ends before the last keeps its seconds', async () => {
  const meter = new ThreadGroupMeter(process.pid, [/^WorkerThread$/]);
  assert.equal(meter.sample(), true);
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     const t0 = process.threadCpuUsage();
     let used = 0;
     while (used < 0.3) { const d = process.threadCpuUsage(t0); used = (d.user + d.system) / 1e6; }
     parentPort.postMessage(used);
     setTimeout(() => {}, 60_000);`,
    { eval: true },
  );
  const used = await new Promise<number>((resolve) => worker.once('message', resolve));
  assert.equal(meter.sample(), true); // the worker is alive here
  await worker.terminate();
  assert.equal(meter.sample(), true); // and gone here: a total read now would not include it
  const [workers] = meter.groupSeconds();
  assert.ok(workers! >= used - TICKS, `worker threads ${workers} s, the worker used ${used} s`);
});

test('an unreadable process gives no figures', () => {
  const meter = new ThreadGroupMeter(2 ** 22 + 1, [/./]);
  assert.equal(meter.sample(), false);
  assert.equal(meter.cpuSeconds(), 0);
  assert.equal(meter.shares(), undefined);
});

test("the machine's busy seconds (/proc/stat) hold this thread's, and steal never goes back", () => {
  const before = machineCpuSeconds();
  assert.ok(before !== undefined, '/proc/stat is readable');
  const used = burnThisThread(0.3);
  const after = machineCpuSeconds()!;
  // /proc/stat ticks per CPU: at most one tick behind on each of the machine's CPUs
  assert.ok(
    after.busy - before.busy >= used - TICKS * 2,
    `machine ${after.busy - before.busy} s, we used ${used} s`,
  );
  assert.ok(after.steal >= before.steal && before.steal >= 0, `steal ${before.steal} → ${after.steal}`);
});
