// Assembles processors into roles. Embedded, one process runs every role on the in-process bus;
// distributed, each process runs one role against Kafka and Cassandra and scales by adding processes.
import type { Bus } from '../bus/port.ts';
import type { Config } from '../config.ts';
import type { Universe } from '../domain/universe.ts';
import type { EngineMetrics } from '../engine/metrics.ts';
import type { ProcessorSpec } from '../engine/processor.ts';
import { ProcessorRuntime } from '../engine/runtime.ts';
import type { Store } from '../store/port.ts';
import { analyticsConfigOf } from './adapters.ts';
import { analyticsProcessor } from './analytics-processor.ts';
import { PriceFeed, RuleFeed } from './feeds.ts';
import { portfolioProcessor } from './portfolio-processor.ts';
import { storeSinks } from './sinks.ts';

export const ROLES = ['analytics', 'portfolio', 'sinks'] as const;
export type Role = (typeof ROLES)[number];

export interface PipelineDeps {
  config: Config;
  bus: Bus;
  store: Store;
  universe: Universe;
  metrics: EngineMetrics;
  log?: (msg: string) => void;
}

export class Pipeline {
  readonly runtimes: ProcessorRuntime[] = [];
  private readonly byRole = new Map<Role, ProcessorRuntime[]>();
  private priceFeed: PriceFeed | undefined;
  private ruleFeed: RuleFeed | undefined;

  constructor(deps: PipelineDeps, roles: readonly Role[] = ROLES) {
    const { config, bus, store, universe, metrics } = deps;
    for (const role of roles) {
      let specs: ProcessorSpec[];
      if (role === 'analytics') {
        this.ruleFeed = new RuleFeed(bus);
        specs = [
          analyticsProcessor({
            bus,
            rules: this.ruleFeed,
            universe,
            analytics: analyticsConfigOf(config),
            allowedLatenessMs: config.engine.allowedLatenessMs,
          }),
        ];
      } else if (role === 'portfolio') {
        this.priceFeed = new PriceFeed(bus, universe);
        specs = [portfolioProcessor({ bus, universe, config, prices: this.priceFeed })];
      } else {
        specs = storeSinks({ store, universe, tape: config.store.tape });
      }
      const rts = specs.map(
        (spec) =>
          new ProcessorRuntime(spec, {
            bus,
            store,
            metrics,
            maxBatch: config.engine.maxBatch,
            checkpointIntervalMs: config.engine.checkpointIntervalMs,
            emitIntervalMs: config.engine.emitIntervalMs,
            emitWhenCaughtUp: config.engine.emitWhenCaughtUp,
            ...(deps.log ? { log: deps.log } : {}),
          }),
      );
      this.byRole.set(role, rts);
      this.runtimes.push(...rts);
    }
  }

  start(): this {
    this.priceFeed?.start();
    this.ruleFeed?.start();
    for (const r of this.runtimes) r.start();
    return this;
  }

  /** The first error that stopped a processor, if any. */
  get error(): unknown {
    return this.runtimes.find((r) => r.error !== undefined)?.error;
  }

  /**
   * End of input: processors drain their inputs to the current log end and close every window, then
   * the sinks drain what the processors produced. Used after a finite replay and by tests.
   */
  async finish(): Promise<void> {
    for (const role of ['analytics', 'portfolio'] as const) {
      for (const r of this.byRole.get(role) ?? []) await r.finish();
    }
    for (const r of this.byRole.get('sinks') ?? []) await r.finish();
  }

  async stop(): Promise<void> {
    for (const r of this.runtimes) await r.stop();
    await this.priceFeed?.stop();
    await this.ruleFeed?.stop();
  }
}
