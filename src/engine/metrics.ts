// A small Prometheus-style registry. Counters and gauges are labelled by a fixed, small set of label
// values (processor, topic, reason), so each series is a plain number in a Map: cheap on the hot path.

type Labels = Readonly<Record<string, string>>;

const labelKey = (labels: Labels): string => {
  const keys = Object.keys(labels).sort();
  return keys.map((k) => `${k}="${String(labels[k]).replace(/["\\\n]/g, '_')}"`).join(',');
};

abstract class Metric {
  readonly name: string;
  readonly help: string;
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  constructor(name: string, help: string) {
    this.name = name;
    this.help = help;
  }
  abstract render(): string[];
}

export class Counter extends Metric {
  readonly type = 'counter' as const;
  private readonly series = new Map<string, number>();
  inc(labels: Labels = {}, by = 1): void {
    const k = labelKey(labels);
    this.series.set(k, (this.series.get(k) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.series.get(labelKey(labels)) ?? 0;
  }
  /** Sum over every series whose labels include `match`. */
  sum(match: Labels = {}): number {
    const parts = Object.entries(match).map(([k, v]) => `${k}="${v}"`);
    let s = 0;
    for (const [k, v] of this.series) if (parts.every((p) => k.split(',').includes(p))) s += v;
    return s;
  }
  render(): string[] {
    return [...this.series].map(([k, v]) => `${this.name}${k ? `{${k}}` : ''} ${v}`);
  }
}

export class Gauge extends Metric {
  readonly type = 'gauge' as const;
  private readonly series = new Map<string, number>();
  set(labels: Labels, value: number): void {
    this.series.set(labelKey(labels), value);
  }
  get(labels: Labels = {}): number {
    return this.series.get(labelKey(labels)) ?? 0;
  }
  render(): string[] {
    return [...this.series].map(([k, v]) => `${this.name}${k ? `{${k}}` : ''} ${v}`);
  }
}

/** Fixed-bucket histogram (seconds), Prometheus cumulative buckets. */
export class Histogram extends Metric {
  readonly type = 'histogram' as const;
  private readonly bounds: readonly number[];
  private readonly series = new Map<string, { counts: Float64Array; sum: number; count: number }>();
  constructor(name: string, help: string, bounds: readonly number[]) {
    super(name, help);
    this.bounds = bounds;
  }
  observe(labels: Labels, value: number): void {
    const k = labelKey(labels);
    let s = this.series.get(k);
    if (s === undefined) {
      s = { counts: new Float64Array(this.bounds.length), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    for (let i = 0; i < this.bounds.length; i++) if (value <= (this.bounds[i] as number)) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }
  /** Approximate quantile from the buckets (upper bound of the bucket holding it). */
  quantile(labels: Labels, q: number): number | undefined {
    const s = this.series.get(labelKey(labels));
    if (s === undefined || s.count === 0) return undefined;
    const target = q * s.count;
    for (let i = 0; i < this.bounds.length; i++) if ((s.counts[i] as number) >= target) return this.bounds[i];
    return Number.POSITIVE_INFINITY;
  }
  render(): string[] {
    const out: string[] = [];
    for (const [k, s] of this.series) {
      const pre = k ? `${k},` : '';
      this.bounds.forEach((b, i) => {
        out.push(`${this.name}_bucket{${pre}le="${b}"} ${s.counts[i]}`);
      });
      out.push(`${this.name}_bucket{${pre}le="+Inf"} ${s.count}`);
      out.push(`${this.name}_sum${k ? `{${k}}` : ''} ${s.sum}`);
      out.push(`${this.name}_count${k ? `{${k}}` : ''} ${s.count}`);
    }
    return out;
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help));
  }
  gauge(name: string, help: string): Gauge {
    return this.add(new Gauge(name, help));
  }
  histogram(name: string, help: string, bounds: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, bounds));
  }
  private add<M extends Metric>(m: M): M {
    this.metrics.push(m);
    return m;
  }
  /** Prometheus text exposition format 0.0.4. */
  render(): string {
    const lines: string[] = [];
    for (const m of this.metrics) {
      lines.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`, ...m.render());
    }
    return `${lines.join('\n')}\n`;
  }
}

const LATENCY_BOUNDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The metrics every tickstream process exposes. */
export class EngineMetrics {
  readonly registry = new Registry();
  readonly recordsIn = this.registry.counter('tickstream_records_in_total', 'Records read from the bus');
  readonly recordsProcessed = this.registry.counter('tickstream_records_processed_total', 'Records applied');
  readonly recordsDeadlettered = this.registry.counter(
    'tickstream_records_deadlettered_total',
    'Records sent to deadletter, by reason',
  );
  readonly recordsProduced = this.registry.counter('tickstream_records_produced_total', 'Records produced');
  readonly rowsWritten = this.registry.counter('tickstream_store_rows_written_total', 'Rows upserted');
  readonly checkpoints = this.registry.counter('tickstream_checkpoints_total', 'Checkpoints written');
  readonly retries = this.registry.counter(
    'tickstream_retries_total',
    'Retried operations after a retryable error',
  );
  readonly lag = this.registry.gauge('tickstream_consumer_lag_records', 'Log end offset minus position');
  readonly watermark = this.registry.gauge('tickstream_watermark_ms', 'Event-time watermark per partition');
  readonly batchLatency = this.registry.histogram(
    'tickstream_batch_seconds',
    'Time to process one input batch',
    LATENCY_BOUNDS,
  );
  readonly eventLatency = this.registry.histogram(
    'tickstream_record_latency_seconds',
    'Bus append time to processed, per batch (newest record)',
    LATENCY_BOUNDS,
  );
  readonly flushLatency = this.registry.histogram(
    'tickstream_flush_seconds',
    'Time to write outputs and checkpoint',
    LATENCY_BOUNDS,
  );
}
