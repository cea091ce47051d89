// Seconds from kill -9 of an analytics processor to its partitions being processed again, on Kafka +
// Cassandra (checkpoints shared through Cassandra, as in production).
//
// Per scenario: a fresh bus namespace and Cassandra keyspace; `tickstream setup` once (topics, schema);
// two `tickstream run --role analytics --source none` children; a paced producer here at RATE trades/s.
// Once both members own partitions and every partition's committed offset advances, one child gets
// SIGKILL. The group's committed offsets (bus.committedOffsets through the namespace) are polled every
// 100 ms: the killed member's partitions are those whose offsets stop advancing, and
//   recovery = time from the kill until every partition's committed offset is past its value at the kill.
// The committed offset moves at a checkpoint (engine.checkpointIntervalMs, 1 s by default), so the figure
// includes up to one checkpoint interval after processing resumed; `-assign` is the time from the kill to
// the survivor's log line saying it was assigned the last of the dead member's partitions (restored from
// its checkpoint), which excludes that interval.
// Scenarios: `recovery` with bus.kafka.sessionTimeoutMs at its default (10000), `recovery-session6s` with
// 6000 (the broker's group.min.session.timeout.ms). After the kill the producer runs on, then stops; the
// bench waits until the survivor has committed every record (a lost partition would never catch up).
// Env: BENCH_RECOVERY_RATE (10000), BENCH_RECOVERY_SCENARIOS ("10000,6000").
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'cassandra-driver';
import { openBus } from '../src/app/adapters.ts';
import type { Bus, ProduceRecord } from '../src/bus/port.ts';
import { parseConfig } from '../src/config.ts';
import { encodeTrade } from '../src/domain/codec.ts';
import { TOPICS } from '../src/domain/topics.ts';
import { Universe } from '../src/domain/universe.ts';
import { TradeGenerator } from '../src/sources/simulator.ts';
import {
  analyticsProcessorArgs,
  CLI_MAIN,
  deleteNamespaceTopics,
  freshId,
  NODE,
  sleep,
  startStack,
  stopChild,
  waitUntil,
} from './kafka-stack.ts';
import { report } from './lib.ts';

const RATE = Number(process.env.BENCH_RECOVERY_RATE ?? 10_000);
const SCENARIOS = (process.env.BENCH_RECOVERY_SCENARIOS ?? '10000,6000').split(',').map(Number);
const PARTITIONS = 8;
const TICK_MS = 10;
const RUN_BEFORE_KILL_MS = 5000;
const RECOVERY_DEADLINE_MS = 90_000;

const universe = Universe.default();

/** Sends trades at RATE per second (event time = wall time) until stopped; counts what was sent. */
class PacedProducer {
  sent = 0;
  private running = true;
  private readonly done: Promise<void>;
  private readonly inflight = new Set<Promise<void>>();

  constructor(bus: Bus, seed: number) {
    const gen = new TradeGenerator({ universe, seed, startTime: Date.now(), nominalRate: RATE });
    this.done = (async () => {
      let next = Date.now();
      while (this.running) {
        const batch: ProduceRecord[] = [];
        const until = Date.now();
        while (gen.peekTime() <= until) {
          const t = gen.next();
          batch.push({ key: t.symbol, value: encodeTrade(t) });
        }
        if (batch.length > 0) {
          this.sent += batch.length;
          const p = bus.send(TOPICS.trades, batch).finally(() => this.inflight.delete(p));
          this.inflight.add(p);
        }
        next += TICK_MS;
        await sleep(Math.max(0, next - Date.now()));
      }
      await Promise.all(this.inflight);
    })();
  }

  stop(): Promise<void> {
    this.running = false;
    return this.done;
  }
}

interface Member {
  name: string;
  proc: ChildProcess;
  log: string;
}

/** Times (epoch ms) of a child's "assigned trades[p]" log lines, by partition (last one wins). */
const assignedAt = (log: string): Map<number, number> => {
  const out = new Map<number, number>();
  for (const m of log.matchAll(/^\[([^\]]+)\] analytics: assigned trades\[(\d+)\]/gm))
    out.set(Number(m[2]), Date.parse(m[1] as string));
  return out;
};

const dropKeyspace = async (keyspace: string): Promise<void> => {
  const c = new Client({ contactPoints: ['127.0.0.1:9042'], localDataCenter: 'datacenter1' });
  try {
    await c.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  } catch (e) {
    console.log(`# could not drop keyspace ${keyspace}: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    await c.shutdown().catch(() => undefined);
  }
};

async function scenario(sessionTimeoutMs: number, benchName: string): Promise<void> {
  const id = freshId('');
  const namespace = `benchrec${id}`;
  const keyspace = `bench_rec_${id}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'ts-recovery-'));
  const env = {
    ...process.env,
    TICKSTREAM_BUS__KIND: 'kafka',
    TICKSTREAM_BUS__NAMESPACE: namespace,
    TICKSTREAM_BUS__PARTITIONS: String(PARTITIONS),
    TICKSTREAM_BUS__KAFKA__SESSION_TIMEOUT_MS: String(sessionTimeoutMs),
    TICKSTREAM_STORE__KIND: 'cassandra',
    TICKSTREAM_STORE__CASSANDRA__KEYSPACE: keyspace,
  };
  console.log(
    `# ${benchName}: namespace ${namespace}, keyspace ${keyspace}, session timeout ${sessionTimeoutMs} ms`,
  );
  const setup = spawnSync(NODE, [CLI_MAIN, 'setup', '--data-dir', join(dataDir, 'setup')], {
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (setup.status !== 0) throw new Error(`tickstream setup failed (${setup.status}): ${setup.stderr}`);

  const members: Member[] = [];
  const bus = await openBus(parseConfig({ bus: { kind: 'kafka', namespace, partitions: PARTITIONS } }));
  let producer: PacedProducer | undefined;
  try {
    for (const name of ['a', 'b']) {
      const proc = spawn(NODE, analyticsProcessorArgs(join(dataDir, name)), {
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const m: Member = { name, proc, log: '' };
      proc.stderr?.setEncoding('utf8');
      proc.stderr?.on('data', (d: string) => {
        m.log += d;
      });
      members.push(m);
    }
    const alive = (): void => {
      for (const m of members)
        if (m.proc.exitCode !== null)
          throw new Error(`member ${m.name} exited ${m.proc.exitCode}:\n${m.log}`);
    };
    producer = new PacedProducer(bus, 5);
    // Both members own partitions, and every partition's committed offset moves (a checkpoint happened
    // after the last rebalance).
    await waitUntil(
      'both members to own partitions',
      () => {
        alive();
        return members.every((m) => assignedAt(m.log).size > 0);
      },
      60_000,
    );
    const sample = async (): Promise<number[]> => bus.committedOffsets('analytics', TOPICS.trades);
    let before = await sample();
    await waitUntil(
      'every partition to be committed and advancing',
      async () => {
        alive();
        const now = await sample();
        const ok = now.every((c, p) => c >= 0 && c > (before[p] as number));
        before = now;
        return ok;
      },
      60_000,
      1500,
    );
    await sleep(RUN_BEFORE_KILL_MS);

    const victim = members[0] as Member;
    const survivor = members[1] as Member;
    const atKill = await sample();
    const killedAt = Date.now();
    victim.proc.kill('SIGKILL');
    const stalled = new Set<number>();
    let recoveredAt = 0;
    let last = atKill;
    await waitUntil(
      'every partition to advance past its offset at the kill',
      async () => {
        if (survivor.proc.exitCode !== null) throw new Error(`survivor exited:\n${survivor.log}`);
        const now = await sample();
        // Partitions still at their kill-time offset 1 s after the kill are the dead member's.
        if (Date.now() - killedAt > 1500)
          now.forEach((c, p) => {
            if (c <= (atKill[p] as number)) stalled.add(p);
          });
        last = now;
        if (now.every((c, p) => c > (atKill[p] as number))) {
          recoveredAt = Date.now();
          return true;
        }
        return false;
      },
      RECOVERY_DEADLINE_MS,
      100,
    );
    report(benchName, Number(((recoveredAt - killedAt) / 1000).toFixed(2)), 's');
    const reassigned = assignedAt(survivor.log);
    const lastAssign = Math.max(...[...stalled].map((p) => reassigned.get(p) ?? Number.NaN));
    if (Number.isFinite(lastAssign))
      report(`${benchName}-assign`, Number(((lastAssign - killedAt) / 1000).toFixed(2)), 's');
    console.log(
      `# session timeout ${sessionTimeoutMs} ms; dead member's partitions [${[...stalled].sort().join(',')}]; committed at kill ${atKill.join(',')}; at recovery ${last.join(',')}`,
    );

    // Run on a little, stop the producer, and check the survivor commits every record.
    await sleep(2000);
    await producer.stop();
    const ends = await bus.endOffsets(TOPICS.trades);
    const total = ends.reduce((a, b) => a + b, 0);
    await waitUntil(
      'the survivor to commit every record',
      async () => (await sample()).every((c, p) => c >= (ends[p] as number)),
      60_000,
      250,
    );
    const status =
      survivor.log
        .split('\n')
        .filter((l) => l.includes('trades produced'))
        .at(-1) ?? '';
    console.log(
      `# produced ${producer.sent} (in the topic ${total}); all committed by the survivor. Survivor: ${status.replace(/^\[[^\]]+\] /, '')}`,
    );
    if (total !== producer.sent)
      console.log(`# WARNING: ${total} records in the topic, ${producer.sent} sent`);
  } finally {
    await producer?.stop().catch(() => undefined);
    for (const m of members) await stopChild(m.proc);
    await bus.close();
    await deleteNamespaceTopics(namespace);
    await dropKeyspace(keyspace);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

startStack('all');
for (const s of SCENARIOS) await scenario(s, s === 10_000 ? 'recovery' : `recovery-session${s / 1000}s`);
