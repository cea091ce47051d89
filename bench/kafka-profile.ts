// A V8 CPU profile of one phase of a benchmark (the same sampler as `node --cpu-prof`, but started and
// stopped around the phase so set-up and produce do not blur it), summarised by where the time went:
// self time per function and per category (decode, analytics, Kafka client, GC, ...).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export class PhaseProfiler {
  private readonly session = new Session();

  async start(intervalUs = 500): Promise<void> {
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.setSamplingInterval', { interval: intervalUs });
    await this.session.post('Profiler.start');
  }

  /** Stops, writes the .cpuprofile (open in Chrome DevTools) and returns the summary lines. */
  async stop(file: string): Promise<string[]> {
    const { profile } = (await this.session.post('Profiler.stop')) as { profile: Profile };
    this.session.disconnect();
    writeFileSync(file, JSON.stringify(profile));
    return summarise(profile);
  }
}

/** Which part of the system a frame belongs to, from its script URL and name. */
const categoryOf = (url: string, fn: string): string => {
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(idle)') return 'idle';
  if (fn === '(program)') return 'program (native, unattributed)';
  if (url.includes('@platformatic/kafka')) return 'kafka client (@platformatic/kafka)';
  if (url.includes('@platformatic/')) return 'kafka client deps (@platformatic/*)';
  if (url.includes('/node_modules/')) return `other deps (${url.split('/node_modules/')[1]?.split('/')[0]})`;
  if (url.includes('/src/bus/kafka/')) return 'bus adapter (src/bus/kafka)';
  if (url.includes('/src/bus/')) return 'bus (src/bus)';
  if (url.includes('/src/domain/codec') || url.includes('/src/domain/validate')) return 'decode+validate';
  if (url.includes('/src/analytics/')) return 'analytics';
  if (url.includes('/src/engine/')) return 'engine (runtime, dedup, watermark)';
  if (url.includes('/src/app/')) return 'app (processor glue)';
  if (url.includes('/src/store/')) return 'store (checkpoints)';
  if (url.includes('/src/')) return 'src (other)';
  if (url.includes('/bench/')) return 'bench';
  if (url.startsWith('node:')) return 'node core';
  if (url === '') return `native/builtin (${fn || 'anonymous'})`.slice(0, 60);
  return 'other';
};

export const summarise = (p: Profile): string[] => {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i] as number;
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  let total = 0;
  const byCat = new Map<string, number>();
  const byFn = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (n === undefined) continue;
    total += us;
    const { functionName: fn, url, lineNumber } = n.callFrame;
    const cat = categoryOf(url, fn);
    byCat.set(cat, (byCat.get(cat) ?? 0) + us);
    const short = url.replace(/^.*\/(node_modules|src|bench)\//, '$1/');
    const k = `${fn || '(anonymous)'} ${short}:${lineNumber + 1}`;
    byFn.set(k, (byFn.get(k) ?? 0) + us);
  }
  const pct = (us: number): string => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
  const lines = [`profile: ${(total / 1e6).toFixed(2)} s sampled`, 'by category (self time):'];
  for (const [k, v] of [...byCat].sort((a, b) => b[1] - a[1])) lines.push(`  ${pct(v)}  ${k}`);
  lines.push('top functions (self time):');
  for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 30)) lines.push(`  ${pct(v)}  ${k}`);
  return lines;
};
