// Shared option parsing for subcommands: strict (unknown options are errors) with clear messages.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type Config, loadConfig } from '../config.ts';
import { TickstreamError } from '../domain/errors.ts';

export const COMMON_OPTIONS = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export const parse = <O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O) =>
  parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true });

export const configFrom = (
  values: { config?: string; 'data-dir'?: string },
  overrides: Record<string, unknown> = {},
): Config => {
  const o: Record<string, unknown> = { ...overrides };
  if (values['data-dir'] !== undefined) o.dataDir = values['data-dir'];
  return loadConfig({ ...(values.config !== undefined ? { file: values.config } : {}), overrides: o });
};

/** A positive number, or 'max'. */
export const rateArg = (name: string, v: string | undefined): number | 'max' | undefined => {
  if (v === undefined) return undefined;
  if (v === 'max') return 'max';
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw new TickstreamError('BAD_REQUEST', `--${name} must be a positive number or 'max', got '${v}'`);
  return n;
};

export const intArg = (name: string, v: string | undefined, min = 0): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min)
    throw new TickstreamError('BAD_REQUEST', `--${name} must be an integer ≥ ${min}, got '${v}'`);
  return n;
};
