// One validated configuration, from defaults < a JSON file < environment variables < CLI overrides.
// Environment variables: TICKSTREAM_<PATH> with `__` between levels and snake case for camelCase keys,
// e.g. TICKSTREAM_BUS__KIND=kafka, TICKSTREAM_ENGINE__ALLOWED_LATENESS_MS=5000,
// TICKSTREAM_BUS__KAFKA__BROKERS='["10.0.0.5:9092"]'. Any bad key is named in the error.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { TickstreamError } from './domain/errors.ts';

const durationRe = /^(\d{1,9})(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** '1s', '5m', '1h' or a number of ms. */
export const parseDuration = (v: string | number): number => {
  if (typeof v === 'number') return v;
  const m = durationRe.exec(v.trim());
  if (m === null) throw new Error(`not a duration: ${JSON.stringify(v)} (use e.g. 500ms, 1s, 5m, 1h)`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
};

const duration = z.union([
  z.number().int().positive(),
  z.string().regex(durationRe, 'a duration like 1s, 5m, 1h'),
]);
const port = z.number().int().min(0).max(65535);

const tls = z
  .object({
    enabled: z.boolean().default(false),
    caFile: z.string().optional(),
    certFile: z.string().optional(),
    keyFile: z.string().optional(),
    rejectUnauthorized: z.boolean().default(true),
  })
  .strict();

export const ConfigSchema = z
  .object({
    dataDir: z.string().min(1).default('./data'),
    bus: z
      .object({
        kind: z.enum(['memory', 'kafka']).default('memory'),
        /** Prefix of every topic and consumer group ("<namespace>.trades"): deployments sharing a cluster. */
        namespace: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,64}$/)
          .optional(),
        partitions: z.number().int().min(1).max(1024).default(8),
        /** Embedded bus: records kept per partition (older ones are dropped, as Kafka retention does). */
        retentionRecords: z.number().int().positive().default(1_000_000),
        kafka: z
          .object({
            brokers: z.array(z.string().min(1)).min(1).default(['127.0.0.1:9092']),
            clientId: z.string().default('tickstream'),
            tls: tls.default({ enabled: false, rejectUnauthorized: true }),
            sasl: z
              .object({
                mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
                username: z.string(),
                password: z.string(),
              })
              .strict()
              .optional(),
            compression: z.enum(['none', 'gzip', 'snappy', 'lz4', 'zstd']).default('lz4'),
            lingerMs: z.number().int().min(0).default(5),
            /**
             * How long a member that died without leaving (kill -9, a lost machine) keeps its partitions
             * before the group moves them to the others. The broker's group.min.session.timeout.ms
             * (6 s by default) is the floor.
             */
            sessionTimeoutMs: z.number().int().min(1000).max(300_000).default(10_000),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    store: z
      .object({
        kind: z.enum(['sqlite', 'cassandra']).default('sqlite'),
        tape: z.boolean().default(true),
        cassandra: z
          .object({
            contactPoints: z.array(z.string().min(1)).min(1).default(['127.0.0.1:9042']),
            localDataCenter: z.string().default('datacenter1'),
            keyspace: z
              .string()
              .regex(/^[a-z][a-z0-9_]{0,47}$/)
              .default('tickstream'),
            replicationFactor: z.number().int().min(1).max(9).default(1),
            username: z.string().optional(),
            password: z.string().optional(),
            tls: tls.default({ enabled: false, rejectUnauthorized: true }),
            concurrency: z.number().int().min(1).max(1024).default(64),
            /**
             * 'replica': one unlogged batch per group of partitions that share replicas (token-aware, up to
             * ~16 KiB; raise batch_size_warn_threshold to keep the server log quiet); 'batch': one batch per
             * partition (the usual advice on large clusters, where few partitions share replicas);
             * 'single': one statement per row.
             */
            writeMode: z.enum(['replica', 'batch', 'single']).default('replica'),
            /**
             * Checkpoint state up to this size stays in its `checkpoints` row; larger state is written in
             * chunks of this size (one request carries at most 16 MiB).
             */
            checkpointChunkBytes: z
              .number()
              .int()
              .min(1024)
              .max(8 * 1024 * 1024)
              .default(1024 * 1024),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    engine: z
      .object({
        allowedLatenessMs: z.number().int().min(0).default(2000),
        checkpointIntervalMs: z.number().int().min(10).default(1000),
        /**
         * While a processor works through a backlog, how often its outputs (candle updates, alerts,
         * positions) go out, conflated, between checkpoints; 0 = after every batch.
         */
        emitIntervalMs: z.number().int().min(0).default(100),
        /**
         * Once a partition has caught up with its input, write its outputs right after each batch (live
         * latency) instead of every emitIntervalMs; writes never queue, so a busy sink conflates them.
         */
        emitWhenCaughtUp: z.boolean().default(true),
        maxBatch: z.number().int().min(1).max(100_000).default(5000),
      })
      .strict()
      .prefault({}),
    analytics: z
      .object({
        intervals: z.array(duration).min(1).default(['1s', '1m', '5m', '1h']),
        smaPeriods: z.array(z.number().int().min(1).max(1000)).max(16).default([5, 10]),
        emaPeriods: z.array(z.number().int().min(1).max(1000)).max(16).default([12, 26]),
        rsiPeriod: z.number().int().min(1).max(1000).default(14),
        bollinger: z
          .object({
            period: z.number().int().min(2).max(1000).default(20),
            k: z.number().positive().default(2),
          })
          .strict()
          .prefault({}),
        movePct: z.number().positive().max(100).default(5),
        moveWindow: duration.default('5m'),
        hysteresisPct: z.number().min(0).max(100).default(0.5),
        /** Provisional candles of the coarser intervals at most once per this much event time ('0s': always). */
        provisionalEvery: z
          .union([z.number().int().min(0), z.string().regex(durationRe, 'a duration like 0s, 500ms, 1s')])
          .default('1s'),
        anomaly: z
          .object({
            interval: duration.default('1m'),
            window: z.number().int().min(2).max(10_000).default(30),
            z: z.number().positive().default(3),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    portfolio: z
      .object({
        firmBucket: duration.default('1m'),
        historyEvery: duration.default('1s'),
        /** Users 0..N-1 whose value history is sampled (the live hub watches more on demand). */
        watchUsers: z.number().int().min(0).max(100_000).default(100),
      })
      .strict()
      .prefault({}),
    simulator: z
      .object({
        seed: z.number().int().default(42),
        /** trades per second, or 'max' */
        rate: z.union([z.number().positive().max(10_000_000), z.literal('max')]).default(2000),
      })
      .strict()
      .prefault({}),
    orderflow: z
      .object({
        users: z.number().int().min(1).max(10_000_000).default(10_000),
        rate: z.union([z.number().min(0).max(10_000_000), z.literal('max')]).default(200),
      })
      .strict()
      .prefault({}),
    server: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: port.default(8080),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;

const camel = (s: string): string =>
  s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Nested object from TICKSTREAM_* variables. Values are JSON when they parse as JSON, else strings. */
export const fromEnv = (env: NodeJS.ProcessEnv): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('TICKSTREAM_') || raw === undefined || name === 'TICKSTREAM_CONFIG') continue;
    const path = name.slice('TICKSTREAM_'.length).split('__').map(camel);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // a plain string
    }
    let node = out;
    path.forEach((k, i) => {
      if (i === path.length - 1) node[k] = value;
      else {
        const child = node[k];
        node[k] = typeof child === 'object' && child !== null ? child : {};
        node = node[k] as Record<string, unknown>;
      }
    });
  }
  return out;
};

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const merge = (a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isPlainObject(prev) && isPlainObject(v) ? merge(prev, v) : v;
  }
  return out;
};

export interface LoadOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
  overrides?: Record<string, unknown>;
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  let fileValues: Record<string, unknown> = {};
  const file = opts.file ?? env.TICKSTREAM_CONFIG;
  if (file !== undefined && file !== '') {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new TickstreamError(
        'CONFIG_INVALID',
        `cannot read config file ${file}: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new TickstreamError(
        'CONFIG_INVALID',
        `config file ${file} is not valid JSON: ${(e as Error).message}`,
      );
    }
    if (!isPlainObject(parsed))
      throw new TickstreamError('CONFIG_INVALID', `config file ${file} must hold an object`);
    fileValues = parsed;
  }
  return parseConfig(merge(merge(fileValues, fromEnv(env)), opts.overrides ?? {}));
}

export function parseConfig(input: unknown): Config {
  const r = ConfigSchema.safeParse(input);
  if (!r.success) {
    const lines = r.error.issues.map((i) => {
      const key = i.path.join('.') || '(root)';
      const extra = '';
      return `  ${key}: ${i.message}${extra}`;
    });
    throw new TickstreamError('CONFIG_INVALID', `invalid configuration:\n${lines.join('\n')}`);
  }
  return r.data;
}
