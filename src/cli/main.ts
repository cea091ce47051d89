#!/usr/bin/env node
// `tickstream`: one entry, one subcommand per role or job.
import { TickstreamError } from '../domain/errors.ts';
import { queryCommand } from './query.ts';
import { runCommand } from './run.ts';
import { setupCommand } from './setup.ts';
import { simulateCommand } from './simulate.ts';

const HELP = `tickstream — real-time market data: trades → candles, indicators, alerts, portfolios

Usage: tickstream <command> [options]

Commands:
  run        run the pipeline (embedded by default: in-process bus + SQLite, no servers needed)
  replay     replay a trade tape (CSV time,symbol,size,price or JSON lines) through the pipeline
  simulate   write a simulated trade tape (CSV or JSON lines) to a file or stdout
  setup      create topics and store tables (once, before starting distributed processes)
  query      read history from the store: candles, trades, alerts, positions, history, fills, firm, deadletters

Run \`tickstream <command> --help\` for a command's options.
Configuration: --config FILE (JSON) and TICKSTREAM_* environment variables (see README).`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'run':
      return runCommand(rest, 'run');
    case 'replay':
      return runCommand(rest, 'replay');
    case 'simulate':
      return simulateCommand(rest);
    case 'query':
      return queryCommand(rest);
    case 'setup':
      return setupCommand(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      console.log(HELP);
      return 0;
    default:
      console.error(`tickstream: unknown command '${cmd}'\n\n${HELP}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // Exit now: a driver's reconnect timer or socket must not keep a finished command alive.
    process.stdout.write('', () => process.exit(code));
  },
  (e: unknown) => {
    if (e instanceof TickstreamError) {
      console.error(`tickstream: ${e.code}: ${e.message}`);
      process.exitCode = e.code === 'CONFIG_INVALID' || e.code === 'BAD_REQUEST' ? 2 : 1;
    } else if (e instanceof Error && String((e as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS')) {
      console.error(`tickstream: ${e.message}`);
      process.exitCode = 2;
    } else {
      console.error('tickstream: failed:', e);
      process.exitCode = 1;
    }
    process.stdout.write('', () => process.exit());
  },
);
