// Helpers shared by the production benchmarks (kafka-throughput, kafka-latency, recovery): the local
// stack (scripts/stack), fresh namespaces, bounded waits, child processes and CPU accounting.
import { type ChildProcess, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deleteTopicsContaining } from '../scripts/stack/topics.ts';

export const ROOT = join(import.meta.dirname, '..');
export const NODE = join(ROOT, 'node_modules', '.bin', 'node');
export const CLI_MAIN = join(ROOT, 'src', 'cli', 'main.ts');
/** Arguments of `node` for an analytics-only processor with its store in `dataDir` (after any node flags). */
export const analyticsProcessorArgs = (dataDir: string): string[] => [
  CLI_MAIN,
  ...['run', '--role', 'analytics', '--source', 'none', '--port', '0', '--data-dir', dataDir],
];

/** Starts the local Kafka (and Cassandra with 'all'); idempotent, waits until ready. */
export const startStack = (which: 'kafka' | 'all'): void => {
  const r = spawnSync('bash', [join(ROOT, 'scripts', 'stack', 'stack.sh'), 'start', which], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`stack.sh start ${which} failed (exit ${r.status})`);
};

/** A fresh id for a bus namespace or keyspace: lower-case letters and digits. */
export const freshId = (prefix: string): string => `${prefix}${randomBytes(4).toString('hex')}`;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` every `everyMs` until it returns true; throws after `ms` (a bounded loop, not an assertion). */
export const waitUntil = async (
  what: string,
  fn: () => boolean | Promise<boolean>,
  ms: number,
  everyMs = 50,
): Promise<void> => {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(everyMs);
  }
};

const CLK_TCK = 100;

/** User + system CPU seconds in a /proc `stat` line (of a process or of one of its threads). */
const statCpuSeconds = (stat: string): number => {
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
};

/** User + system CPU seconds of a process from /proc (Linux); undefined when unreadable. */
export const procCpuSeconds = (pid: number): number | undefined => {
  try {
    return statCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
};

/**
 * The machine's CPU seconds from /proc/stat's `cpu` line: busy (user, nice, system, irq, softirq) and
 * steal (time the hypervisor gave this VM's vCPUs to someone else: the host was busy). Undefined off Linux.
 */
export const machineCpuSeconds = (): { busy: number; steal: number } | undefined => {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
    return { busy: (user + nice + system + irq + softirq) / CLK_TCK, steal: steal / CLK_TCK };
  } catch {
    return undefined;
  }
};

/**
 * CPU seconds of a process, and of its threads grouped by name pattern, from its first sample to its
 * last (from /proc/<pid>/task). Counted per thread, so that threads starting or ending in between do not
 * make a group's figure jump: JVMs end idle pool threads (Cassandra's compaction executors, HotSpot's
 * extra compiler threads). What a thread used after its last sample before it ended is missed, so a
 * group's figure is a lower bound, by at most one sampling interval of that thread.
 */
export class ThreadGroupMeter {
  /** By thread id: its group (-1: none), its CPU seconds at its first and at its latest sample. */
  private readonly threads = new Map<string, { group: number; first: number; last: number }>();
  /** Seconds of threads whose id was since taken by a new thread. */
  private readonly reused: number[];
  private cpu0: number | undefined;
  private cpu = 0;
  private readonly pid: number;
  private readonly patterns: readonly RegExp[];

  constructor(pid: number, patterns: readonly RegExp[]) {
    this.pid = pid;
    this.patterns = patterns;
    this.reused = patterns.map(() => 0);
  }

  /** Reads the process and its threads; false when it cannot be read (not ours, or gone). */
  sample(): boolean {
    const cpu = procCpuSeconds(this.pid);
    if (cpu === undefined) return false;
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${this.pid}/task`);
    } catch {
      return false;
    }
    const first = this.cpu0 === undefined;
    for (const tid of tids) {
      let stat: string;
      try {
        stat = readFileSync(`/proc/${this.pid}/task/${tid}/stat`, 'utf8');
      } catch {
        continue; // ended since the directory was read
      }
      const seconds = statCpuSeconds(stat);
      let t = this.threads.get(tid);
      if (t !== undefined && seconds < t.last) {
        if (t.group >= 0) this.reused[t.group]! += t.last - t.first;
        t = undefined;
      }
      if (t === undefined) {
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const group = this.patterns.findIndex((p) => p.test(name));
        // A thread born after the first sample used all its seconds within the interval.
        this.threads.set(tid, { group, first: first ? seconds : 0, last: seconds });
      } else t.last = seconds;
    }
    this.cpu0 ??= cpu;
    this.cpu = cpu;
    return true;
  }

  /** The process's CPU seconds between the first and the latest sample. */
  cpuSeconds(): number {
    return this.cpu0 === undefined ? 0 : this.cpu - this.cpu0;
  }

  /** Each group's CPU seconds between the first and the latest sample. */
  groupSeconds(): number[] {
    const out = [...this.reused];
    for (const t of this.threads.values()) if (t.group >= 0) out[t.group]! += t.last - t.first;
    return out;
  }

  /** Each group's share of the process's CPU over the interval; undefined before two readings. */
  shares(): number[] | undefined {
    const cpu = this.cpuSeconds();
    return cpu > 0 ? this.groupSeconds().map((g) => g / cpu) : undefined;
  }
}

/**
 * A JVM's JIT compiler threads (C1 and C2). A freshly started server spends a large share of its CPU
 * compiling its hot paths for minutes; benches wait for that to settle before measuring steady state.
 */
export const JIT_THREADS = /^C[12] Compiler/;

/**
 * The share of a JVM's CPU its JIT compiler threads used over the last `windowMs`, from /proc samples
 * taken at most every 500 ms (a server has ~150 threads to read). Benches of steady-state figures warm
 * up until it is under a threshold: a server just started compiles its hot paths for minutes.
 */
export class JitWatch {
  /** [time ms, process CPU s, JIT CPU s], spanning at most windowMs plus one sample. */
  private readonly samples: [number, number, number][] = [];
  /** Undefined until a whole window has been seen, or when the pid is not readable. */
  share: number | undefined;

  private readonly meter: ThreadGroupMeter;
  private readonly windowMs: number;

  constructor(pid: number, windowMs: number) {
    this.meter = new ThreadGroupMeter(pid, [JIT_THREADS]);
    this.windowMs = windowMs;
  }

  /** Takes a sample if one is due; false when the process cannot be read (not ours, or gone). */
  sample(now = performance.now()): boolean {
    const last = this.samples[this.samples.length - 1];
    if (last !== undefined && now - last[0] < 500) return true;
    if (!this.meter.sample()) return false;
    const cpu = this.meter.cpuSeconds();
    const jit = this.meter.groupSeconds()[0]!;
    this.samples.push([now, cpu, jit]);
    while (this.samples.length > 1 && now - this.samples[1]![0] >= this.windowMs) this.samples.shift();
    const [t0, cpu0, jit0] = this.samples[0]!;
    if (now - t0 >= this.windowMs && cpu > cpu0) this.share = (jit - jit0) / (cpu - cpu0);
    return true;
  }

  /** How the warm-up ended, for the bench's log: `; the <server>'s JIT compiler used …`, or '' unread. */
  summary(server: string, quiet: number): string {
    if (this.share === undefined) return '';
    return (
      `; the ${server}'s JIT compiler used ${(this.share * 100).toFixed(1)} % of its CPU over the last ${this.windowMs / 1000} s` +
      (this.share < quiet ? '' : ' (still compiling: warm-up cap reached)')
    );
  }
}

/** The pid of a component of the local stack (scripts/stack keeps it in .stack/<name>/<name>.pid). */
export const stackPid = (name: 'kafka' | 'cassandra'): number | undefined => {
  try {
    const pid = Number(readFileSync(join(ROOT, '.stack', name, `${name}.pid`), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
};

/** CPU seconds of this process, the broker and the whole machine over an interval. */
export class CpuMeter {
  private readonly broker = stackPid('kafka');
  private self0 = process.cpuUsage();
  private broker0 = 0;
  private machine0 = machineCpuSeconds();
  private t0 = 0;

  start(): this {
    this.self0 = process.cpuUsage();
    this.broker0 = this.broker === undefined ? 0 : (procCpuSeconds(this.broker) ?? 0);
    this.machine0 = machineCpuSeconds();
    this.t0 = performance.now();
    return this;
  }

  /**
   * Cores used on average (1.0 = one core busy) by this process, by the broker, by everything else on
   * the machine, and stolen by the hypervisor (vCPU time that went to other VMs: a busy host).
   */
  read(): {
    wallS: number;
    selfCores: number;
    brokerCores: number | undefined;
    otherCores: number | undefined;
    stealCores: number | undefined;
  } {
    const wallS = (performance.now() - this.t0) / 1000;
    const d = process.cpuUsage(this.self0);
    const b = this.broker === undefined ? undefined : procCpuSeconds(this.broker);
    const m = machineCpuSeconds();
    const selfCores = (d.user + d.system) / 1e6 / wallS;
    const brokerCores = b === undefined ? undefined : (b - this.broker0) / wallS;
    const m0 = this.machine0;
    return {
      wallS,
      selfCores,
      brokerCores,
      otherCores:
        m === undefined || m0 === undefined
          ? undefined
          : Math.max(0, (m.busy - m0.busy) / wallS - selfCores - (brokerCores ?? 0)),
      stealCores: m === undefined || m0 === undefined ? undefined : (m.steal - m0.steal) / wallS,
    };
  }
}

/** Resolves with the exit code once the child has exited (at once if it already has). */
export const exited = (p: ChildProcess): Promise<number | null> =>
  p.exitCode !== null || p.signalCode !== null
    ? Promise.resolve(p.exitCode)
    : new Promise((r) => p.once('exit', (code) => r(code)));

/** SIGTERM, then SIGKILL after `graceMs`; waits for the exit. Only for children this bench spawned. */
export const stopChild = async (p: ChildProcess, graceMs = 10_000): Promise<void> => {
  if (p.exitCode !== null || p.signalCode !== null) return;
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), graceMs);
  await exited(p);
  clearTimeout(t);
};

/** Percentile (0..100) of a sorted array, nearest-rank. */
export const percentile = (sorted: Float64Array | number[], p: number): number => {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
};

/** Deletes every topic of a bus namespace ("<namespace>.*") so benchmark runs do not pile up on disk. */
export const deleteNamespaceTopics = (namespace: string, broker = '127.0.0.1:9092'): Promise<number> =>
  deleteTopicsContaining(`${namespace}.`, broker);
