// The one place where adapters are chosen from configuration. Nothing else knows which bus or store
// is in use. Production adapters are imported lazily so the embedded default loads no driver.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type AnalyticsConfig, resolveAnalyticsConfig } from '../analytics/config.ts';
import { MemoryBus } from '../bus/memory/index.ts';
import { NamespacedBus } from '../bus/namespaced.ts';
import type { Bus } from '../bus/port.ts';
import { type Config, parseDuration } from '../config.ts';
import { TOPICS } from '../domain/topics.ts';
import type { Store } from '../store/port.ts';
import { SqliteStore } from '../store/sqlite/sqlite-store.ts';
import { FIRM_TOPIC } from './sinks.ts';

export async function openBus(config: Config): Promise<Bus> {
  let bus: Bus =
    config.bus.kind === 'kafka'
      ? await (await import('../bus/kafka/index.ts')).KafkaBus.connect(config.bus.kafka)
      : // The embedded log lives in the data directory so a restart (even after kill -9) resumes it.
        await MemoryBus.open({
          dir: join(config.dataDir, 'bus'),
          retentionRecords: config.bus.retentionRecords,
        });
  if (config.bus.namespace !== undefined) bus = new NamespacedBus(bus, config.bus.namespace);
  for (const topic of [...Object.values(TOPICS), FIRM_TOPIC]) {
    // Rules are a tiny broadcast table: one partition keeps their order.
    await bus.ensureTopic(topic, topic === TOPICS.alertRules ? 1 : config.bus.partitions);
  }
  return bus;
}

export async function openStore(config: Config): Promise<Store> {
  let store: Store;
  if (config.store.kind === 'cassandra') {
    store = await (await import('../store/cassandra/index.ts')).CassandraStore.connect(
      config.store.cassandra,
    );
  } else {
    mkdirSync(config.dataDir, { recursive: true });
    store = SqliteStore.open(config.dataDir);
  }
  await store.migrate();
  return store;
}

export const analyticsConfigOf = (config: Config): AnalyticsConfig => {
  const a = config.analytics;
  return resolveAnalyticsConfig({
    intervalsMs: a.intervals.map(parseDuration),
    smaPeriods: a.smaPeriods,
    emaPeriods: a.emaPeriods,
    rsiPeriod: a.rsiPeriod,
    bollinger: a.bollinger,
    movePct: a.movePct,
    moveWindowMs: parseDuration(a.moveWindow),
    hysteresisPct: a.hysteresisPct,
    provisionalEveryMs: parseDuration(a.provisionalEvery),
    anomaly: { intervalMs: parseDuration(a.anomaly.interval), window: a.anomaly.window, z: a.anomaly.z },
  });
};
