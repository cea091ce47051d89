// `tickstream query`: history from the store, as JSON lines (one row per line) for scripts and jq.
import { openStore } from '../app/adapters.ts';
import { parseDuration } from '../config.ts';
import { TickstreamError } from '../domain/errors.ts';
import type { EventTimeMs } from '../domain/types.ts';
import type { TimeRange } from '../store/port.ts';
import { configFrom, intArg, parse } from './args.ts';

const HELP = `Usage: tickstream query <what> [args] [options]

  candles SYMBOL [--interval 1m] [--from T] [--to T]
  trades SYMBOL [--from T] [--to T] [--limit N]
  alerts SYMBOL [--from T] [--to T]      alerts USER --user
  positions USER
  history USER [--from T] [--to T]
  fills USER [--limit N]
  firm YYYY-MM-DD
  deadletters [--limit N]

Times T are epoch ms or ISO-8601. Output: one JSON object per line.
Options: --config FILE, --data-dir DIR (the store to read), -h/--help.
`;

const time = (name: string, v: string | undefined, dflt: number): EventTimeMs => {
  if (v === undefined) return dflt as EventTimeMs;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n)) throw new TickstreamError('BAD_REQUEST', `--${name}: not a time: ${v}`);
  return n as EventTimeMs;
};

const intervalOf = (v: string): number => {
  try {
    return parseDuration(v);
  } catch (e) {
    throw new TickstreamError('BAD_REQUEST', `--interval: ${(e as Error).message}`);
  }
};

export async function queryCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    interval: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    limit: { type: 'string' },
    user: { type: 'boolean' },
  });
  if (values.help || positionals.length === 0) {
    console.log(HELP);
    return values.help ? 0 : 2;
  }
  const [what, arg] = positionals;
  const range: TimeRange = { from: time('from', values.from, 0), to: time('to', values.to, 8.64e15) };
  const limit = intArg('limit', values.limit, 1);
  const need = (label: string): string => {
    if (arg === undefined) throw new TickstreamError('BAD_REQUEST', `query ${what} needs ${label}`);
    return arg;
  };
  const userArg = (): number => {
    const u = intArg('user', need('a USER'));
    if (u === undefined) throw new TickstreamError('BAD_REQUEST', 'USER must be an integer');
    return u;
  };
  const store = await openStore(configFrom(values));
  try {
    let rows: unknown[];
    switch (what) {
      case 'candles':
        rows = await store.candles(need('a SYMBOL'), intervalOf(values.interval ?? '1m'), range);
        break;
      case 'trades':
        rows = await store.trades(need('a SYMBOL'), range, limit);
        break;
      case 'alerts':
        rows = values.user
          ? await store.alertsByUser(userArg(), limit)
          : await store.alertsBySymbol(need('a SYMBOL'), range);
        break;
      case 'positions':
        rows = await store.positions(userArg());
        break;
      case 'history':
        rows = await store.portfolioHistory(userArg(), range);
        break;
      case 'fills':
        rows = await store.lastFills(userArg(), limit ?? 20);
        break;
      case 'firm':
        rows = await store.firmStats(need('a day YYYY-MM-DD'));
        break;
      case 'deadletters':
        rows = (await store.deadletters(limit ?? 100)).map((d) => ({
          ...d,
          payload: Buffer.from(d.payload).toString('base64'),
        }));
        break;
      default:
        throw new TickstreamError('BAD_REQUEST', `unknown query '${what}'\n${HELP}`);
    }
    for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
  } finally {
    await store.close();
  }
  return 0;
}
