// `tickstream simulate`: writes a simulated tape (CSV in the TAQ-like shape, or JSON lines) that
// `tickstream replay` and other tools can read. Deterministic for a seed and start time.

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { TickstreamError } from '../domain/errors.ts';
import { Universe } from '../domain/universe.ts';
import { DETERMINISTIC_START_MS, TradeGenerator } from '../sources/simulator.ts';
import { intArg, parse } from './args.ts';
import { Progress } from './progress.ts';

const HELP = `Usage: tickstream simulate [options]

Writes simulated trades as a tape.

Options:
  --limit N          number of trades (default 100000)
  --out FILE         output file (default: stdout)
  --format csv|jsonl CSV with header time,symbol,size,price (ISO times) or JSON lines (default csv)
  --seed N           seed (default 42)
  --start ISO|fixed  event time of the first trade (default fixed: 2024-01-02T14:30Z)
  --rate N           trades per second of event time (default 1000)
  -h, --help         this help
`;

const write = async (out: Writable, s: string): Promise<void> => {
  if (!out.write(s)) await once(out, 'drain');
};

export async function simulateCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    limit: { type: 'string' },
    out: { type: 'string' },
    format: { type: 'string' },
    seed: { type: 'string' },
    start: { type: 'string' },
    rate: { type: 'string' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const limit = intArg('limit', values.limit, 1) ?? 100_000;
  const seed = intArg('seed', values.seed) ?? 42;
  const rate = intArg('rate', values.rate, 1) ?? 1000;
  const format = values.format ?? 'csv';
  if (format !== 'csv' && format !== 'jsonl')
    throw new TickstreamError('BAD_REQUEST', '--format must be csv or jsonl');
  const start =
    values.start === undefined || values.start === 'fixed'
      ? DETERMINISTIC_START_MS
      : Date.parse(values.start);
  if (!Number.isFinite(start))
    throw new TickstreamError('BAD_REQUEST', `--start: not a time: ${values.start}`);

  const gen = new TradeGenerator({ universe: Universe.default(), seed, startTime: start, nominalRate: rate });
  const out: Writable = values.out === undefined ? process.stdout : createWriteStream(values.out);
  const progress =
    values.out === undefined
      ? undefined
      : new Progress({ label: `simulate → ${values.out}`, unit: 'trades', total: limit });
  if (format === 'csv') await write(out, 'time,symbol,size,price\n');
  let chunk = '';
  for (let i = 0; i < limit; i++) {
    const t = gen.next();
    chunk +=
      format === 'csv'
        ? `${new Date(t.time).toISOString()},${t.symbol},${t.size},${t.price}\n`
        : `${JSON.stringify({ symbol: t.symbol, price: t.price, size: t.size, time: t.time, conditions: t.conditions, seq: t.seq })}\n`;
    if (chunk.length > 65536) {
      await write(out, chunk);
      chunk = '';
      progress?.update(i + 1, limit);
    }
  }
  await write(out, chunk);
  if (out !== process.stdout) {
    out.end();
    await once(out, 'finish');
  }
  progress?.finish();
  return 0;
}
