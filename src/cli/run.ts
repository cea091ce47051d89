// `tickstream run` / `tickstream replay`: assemble the pipeline from configuration, feed it from the
// simulator or a tape, serve health and metrics, and shut down cleanly (flush + checkpoint) on a signal.
import { statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { openBus, openStore } from '../app/adapters.ts';
import { encodeRule, PriceFeed } from '../app/feeds.ts';
import { Ingest } from '../app/ingest.ts';
import { MarketFlow, splitEvents } from '../app/market-flow.ts';
import { Pipeline, ROLES, type Role } from '../app/pipeline.ts';
import { SourceResume } from '../app/source-resume.ts';
import { TickstreamError } from '../domain/errors.ts';
import { TOPICS } from '../domain/topics.ts';
import type { AlertRule } from '../domain/types.ts';
import { Universe } from '../domain/universe.ts';
import { EngineMetrics } from '../engine/metrics.ts';
import { withRetry } from '../engine/retry.ts';
import { HttpServer } from '../server/http.ts';
import { drive } from '../sources/drive.ts';
import { finnhubFeed } from '../sources/finnhub-feed.ts';
import { replayFile } from '../sources/replay.ts';
import { DETERMINISTIC_START_MS, liveFirstSeq } from '../sources/simulator.ts';
import { configFrom, intArg, parse, rateArg } from './args.ts';
import { Progress } from './progress.ts';

const HELP = `Usage: tickstream run [options]
       tickstream replay FILE [options]

Runs the pipeline. Embedded by default (in-process bus, SQLite in --data-dir); set bus.kind=kafka and
store.kind=cassandra in the config (or TICKSTREAM_BUS__KIND / TICKSTREAM_STORE__KIND) for production.

Options:
  --config FILE          JSON configuration file (env TICKSTREAM_CONFIG)
  --data-dir DIR         where the embedded store keeps its files (default ./data)
  --role LIST            roles this process runs, comma-separated: ingest, analytics, portfolio, sinks,
                         serve (default: all of them)
  --source sim|none|finnhub  where trades come from when no tape is given (default sim)
  --feed-url URL         the Finnhub-shaped WebSocket feed of --source finnhub, e.g.
                         wss://ws.finnhub.io?token=... (subscribes to every symbol of the universe)
  --rate N|max           simulated trades/s (default from config: 2000)
  --fill-rate N          simulated users' fills/s (default from config: 200; 0 disables order flow)
  --users N              simulated users (default from config: 10000; up to 10,000,000)
  --seed N               simulator seed
  --start ISO|fixed      event time of the first simulated trade (default now; 'fixed' = a fixed date,
                         for runs that must repeat exactly)
  --limit N              stop the simulator after N trades
  --tape FILE            replay this tape instead of simulating (replay FILE is the same)
  --speed 1|N|max        replay speed: 1 = real time, N = N× faster, max = flat out (default max)
  --date YYYY-MM-DD      trading day for tapes whose times are TAQ HHMMSSmmm
  --duration SECONDS     stop after this long
  --exit-when-done       when the source ends, close all windows, write final results and exit
                         (default for replay)
  --port N               HTTP port for /health, /metrics and /api (default 8080; 0 = any free port)
  -h, --help             this help
`;

export async function runCommand(argv: string[], mode: 'run' | 'replay'): Promise<number> {
  const { values, positionals } = parse(argv, {
    role: { type: 'string' },
    source: { type: 'string' },
    'feed-url': { type: 'string' },
    rate: { type: 'string' },
    'fill-rate': { type: 'string' },
    users: { type: 'string' },
    seed: { type: 'string' },
    start: { type: 'string' },
    limit: { type: 'string' },
    tape: { type: 'string' },
    speed: { type: 'string' },
    date: { type: 'string' },
    duration: { type: 'string' },
    'exit-when-done': { type: 'boolean' },
    port: { type: 'string' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const tape = mode === 'replay' ? positionals[0] : values.tape;
  if (mode === 'replay' && tape === undefined)
    throw new TickstreamError('BAD_REQUEST', 'replay needs a FILE');
  if (positionals.length > (mode === 'replay' ? 1 : 0)) {
    throw new TickstreamError('BAD_REQUEST', `unexpected argument '${positionals.at(-1)}'`);
  }
  const overrides: Record<string, unknown> = {};
  const port = intArg('port', values.port);
  if (port !== undefined) overrides.server = { port };
  const rate = rateArg('rate', values.rate);
  const seed = intArg('seed', values.seed);
  overrides.simulator = { ...(rate !== undefined ? { rate } : {}), ...(seed !== undefined ? { seed } : {}) };
  const users = intArg('users', values.users, 1);
  const fillRate = intArg('fill-rate', values['fill-rate']);
  overrides.orderflow = {
    ...(users !== undefined ? { users } : {}),
    ...(fillRate !== undefined ? { rate: fillRate } : {}),
  };
  const config = configFrom(values, overrides);

  const roles = new Set<Role | 'ingest' | 'serve'>();
  for (const r of (values.role ?? 'all').split(',')) {
    if (r === 'all') for (const x of [...ROLES, 'ingest', 'serve'] as const) roles.add(x);
    else if ((ROLES as readonly string[]).includes(r) || r === 'ingest' || r === 'serve')
      roles.add(r as Role);
    else
      throw new TickstreamError(
        'BAD_REQUEST',
        `--role: unknown role '${r}' (ingest, analytics, portfolio, sinks, serve)`,
      );
  }
  const source = values.source ?? 'sim';
  if (source !== 'sim' && source !== 'none' && source !== 'finnhub')
    throw new TickstreamError('BAD_REQUEST', `--source must be sim, none or finnhub`);
  const feedUrl = values['feed-url'];
  if (source === 'finnhub' && !/^wss?:\/\/\S+$/.test(feedUrl ?? ''))
    throw new TickstreamError('BAD_REQUEST', '--source finnhub needs --feed-url ws://… or wss://…');
  const limit = intArg('limit', values.limit, 1);
  const durationS = values.duration === undefined ? undefined : Number(values.duration);
  if (durationS !== undefined && !(durationS > 0))
    throw new TickstreamError('BAD_REQUEST', '--duration must be > 0');
  const exitWhenDone = values['exit-when-done'] ?? mode === 'replay';
  const speed = values.speed ?? 'max';
  if (speed !== 'max' && !(Number(speed) > 0))
    throw new TickstreamError('BAD_REQUEST', `--speed must be a positive number or max`);
  let startTime = Date.now();
  if (values.start === 'fixed') startTime = DETERMINISTIC_START_MS;
  else if (values.start !== undefined) {
    startTime = Date.parse(values.start);
    if (!Number.isFinite(startTime))
      throw new TickstreamError('BAD_REQUEST', `--start: not a time: ${values.start}`);
  }

  const log = (m: string): void => console.error(`[${new Date().toISOString()}] ${m}`);
  const universe = Universe.default();
  const metrics = new EngineMetrics();
  const bus = await openBus(config);
  const store = await openStore(config);
  const processorRoles = ROLES.filter((r) => roles.has(r));
  const pipeline = new Pipeline({ config, bus, store, universe, metrics, log }, processorRoles).start();
  const started = Date.now();

  // Every process serves /health and /metrics (distributed mode: one scrape target per process); the
  // serve role adds the JSON API and the broadcast price view it values portfolios with.
  let servePrices: PriceFeed | undefined;
  if (roles.has('serve')) {
    servePrices = new PriceFeed(bus, universe);
    servePrices.start();
  }
  const http = new HttpServer({
    host: config.server.host,
    port: config.server.port,
    ...(servePrices !== undefined
      ? {
          api: {
            store,
            prices: servePrices.prices,
            publishRule: (rule: AlertRule) =>
              bus.send(TOPICS.alertRules, [{ key: rule.id, value: encodeRule(rule) }]),
            universe,
          },
        }
      : {}),
    registry: metrics.registry,
    health: {
      health: async () => {
        const err = pipeline.error;
        const lag = await Promise.all(
          pipeline.runtimes.map(async (r) => [r.spec.name, await r.lag()] as const),
        );
        return {
          status: err === undefined ? 'ok' : 'degraded',
          detail: {
            uptimeS: Math.round((Date.now() - started) / 1000),
            roles: [...roles],
            bus: config.bus.kind,
            store: config.store.kind,
            lag: Object.fromEntries(lag),
            ...(err !== undefined ? { error: err instanceof Error ? err.message : String(err) } : {}),
          },
        };
      },
    },
  });
  const addr = await http.listen();
  log(
    `serving http://${addr.host}:${addr.port}/health, /metrics${servePrices !== undefined ? ', /api' : ''}`,
  );

  const abort = new AbortController();
  const onSignal = (sig: string) => () => {
    log(`${sig}: flushing, checkpointing and stopping`);
    abort.abort();
  };
  process.once('SIGINT', onSignal('SIGINT'));
  process.once('SIGTERM', onSignal('SIGTERM'));
  if (durationS !== undefined) setTimeout(() => abort.abort(), durationS * 1000).unref();

  const status = setInterval(() => {
    const i = metrics.recordsIn.sum({ processor: 'analytics' });
    const d = metrics.recordsDeadlettered.sum({ processor: 'analytics' });
    const f = metrics.recordsIn.sum({ processor: 'portfolio' });
    log(
      `trades produced ${metrics.recordsProduced.sum({ topic: TOPICS.trades })}, analysed ${i - d}, deadlettered ${d}; fills applied ${f}; checkpoints ${metrics.checkpoints.sum()}`,
    );
  }, 5000);
  status.unref();

  const ingest = new Ingest(bus, metrics);
  // The source waits out a broker or database that is down, as the processors do.
  const retrying = <T>(fn: () => Promise<T>): Promise<T> =>
    withRetry(fn, {
      signal: abort.signal,
      onRetry: (e, n) => {
        metrics.retries.inc({ processor: 'ingest' });
        if (n === 1 || n % 10 === 0) log(`ingest: retrying (${e instanceof Error ? e.message : String(e)})`);
      },
    });
  let feeding: Promise<void> = Promise.resolve();
  if (roles.has('ingest')) {
    if (tape !== undefined) {
      const progress = new Progress({ label: `replay ${basename(tape)}`, unit: 'bytes' });
      // A tape at full speed is cut into the same batches every time, so a restart can skip what was sent.
      const resume =
        speed === 'max'
          ? await SourceResume.load(store, `tape:${resolve(tape)}:${statSync(tape).size}`)
          : undefined;
      let skip = resume?.done.batches ?? 0;
      if (skip > 0)
        log(`resuming the tape after ${skip} batches (${resume?.done.records} records) already sent`);
      feeding = (async () => {
        for await (const chunk of replayFile(tape, {
          speed: speed === 'max' ? ('max' as const) : Number(speed),
          ...(values.date !== undefined ? { date: values.date } : {}),
          signal: abort.signal,
        })) {
          progress.update(chunk.bytesRead, chunk.totalBytes);
          if (skip > 0) {
            skip--;
            continue;
          }
          await retrying(() => ingest.trades(chunk.trades));
          await retrying(() => ingest.rejects(`file:${basename(tape)}`, chunk.rejects));
          await retrying(async () => resume?.advance(chunk.trades.length + chunk.rejects.length));
        }
        progress.finish();
      })();
    } else if (source === 'finnhub') {
      log(`following the feed ${feedUrl!.replace(/token=[^&]*/, 'token=…')} for ${universe.size} symbols`);
      feeding = (async () => {
        for await (const b of finnhubFeed({
          url: feedUrl!,
          symbols: universe.symbols,
          universe,
          signal: abort.signal,
          firstSeq: liveFirstSeq(startTime),
          onStatus: (st) => {
            if (st.state === 'open') log('feed: connected');
            else if (st.state === 'closed') log(`feed: closed, reconnecting in ${st.retryInMs} ms`);
          },
        })) {
          await retrying(() => ingest.trades(b.trades));
          const rejects = b.rejects.map((r) => ({ ...r, line: r.message }));
          await retrying(() => ingest.rejects('finnhub', rejects));
          if (b.dropped > 0) log(`feed: dropped ${b.dropped} messages (the pipeline fell behind)`);
        }
      })();
    } else if (source === 'sim') {
      const flow = new MarketFlow({
        universe,
        seed: config.simulator.seed,
        startTime,
        tradeRate: config.simulator.rate === 'max' ? 1000 : config.simulator.rate,
        fillRate: config.orderflow.rate === 'max' ? 200 : config.orderflow.rate,
        users: config.orderflow.users,
        // one that follows the wall clock starts afresh on a restart: its records must not look like
        // copies of the last run's
        ...(values.start === undefined ? { liveRun: startTime } : {}),
      });
      log(
        `simulating ${universe.size} symbols at ${config.simulator.rate} trades/s, ${config.orderflow.users} users at ${config.orderflow.rate} fills/s`,
      );
      // A simulation from a fixed start is deterministic: a restart regenerates and skips what was sent.
      // One that follows the wall clock is live: a restart simply goes on from now.
      const resume =
        values.start === undefined
          ? undefined
          : await SourceResume.load(
              store,
              `sim:${config.simulator.seed}:${startTime}:${config.simulator.rate}:${config.orderflow.rate}:${config.orderflow.users}`,
            );
      const skip = resume?.done.records ?? 0;
      if (skip > 0) log(`resuming the simulation after ${skip} events already sent`);
      for (let i = 0; i < skip; i++) flow.next();
      feeding = (async () => {
        for await (const events of drive(flow, {
          rate: config.simulator.rate === 'max' ? 'max' : 1,
          startTime: flow.peekTime(),
          batchSize: 1000,
          signal: abort.signal,
          ...(limit !== undefined ? { limit: Math.max(0, limit - skip) } : {}),
        })) {
          const { trades, fills } = splitEvents(events);
          await retrying(() => ingest.trades(trades));
          await retrying(() => ingest.fills(fills));
          await retrying(async () => resume?.advance(events.length));
        }
      })();
    }
  }

  let code = 0;
  try {
    await feeding;
    if (exitWhenDone && !abort.signal.aborted) {
      log('source finished: draining, closing windows, writing final results');
      await pipeline.finish();
      log(
        `done: ${metrics.recordsIn.sum({ processor: 'analytics' })} trades in, ${metrics.recordsDeadlettered.sum({ processor: 'analytics' })} deadlettered, ${metrics.recordsIn.sum({ processor: 'portfolio' })} fills`,
      );
    } else {
      await new Promise<void>((resolve) => {
        if (abort.signal.aborted) resolve();
        abort.signal.addEventListener('abort', () => resolve(), { once: true });
        const check = setInterval(() => {
          if (pipeline.error !== undefined) {
            clearInterval(check);
            resolve();
          }
        }, 500);
        check.unref();
      });
    }
    if (pipeline.error !== undefined) {
      log(`a processor failed: ${String(pipeline.error)}`);
      code = 1;
    }
  } finally {
    clearInterval(status);
    abort.abort();
    // Shutdown is bounded: a client that cannot say goodbye to a backend that just restarted must not
    // keep the process alive. Everything that matters was checkpointed by pipeline.stop().
    const bounded = async (what: string, fn: () => Promise<void> | undefined) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          log(`shutdown: ${what} did not finish in 20 s; going on`);
          resolve();
        }, 20_000);
      });
      await Promise.race([
        Promise.resolve(fn()).catch((e) => log(`shutdown: ${what}: ${String(e)}`)),
        timeout,
      ]);
      clearTimeout(timer);
    };
    await bounded('pipeline', () => pipeline.stop());
    await bounded('http', () => http?.close());
    await bounded('price view', () => servePrices?.stop());
    await bounded('bus', () => bus.close());
    await bounded('store', () => store.close());
    log('stopped');
  }
  return code;
}
