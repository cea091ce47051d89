// Typed errors of the durable bus's files. Corruption names the file and byte position so an operator
// can inspect or move it away; the bus never drops valid-looking data after a bad frame on its own.

import { TickstreamError } from '../../domain/errors.ts';

export class BusLogCorruptError extends TickstreamError {
  readonly file: string;
  readonly position: number;
  constructor(file: string, position: number, reason: string) {
    super('BUS_LOG_CORRUPT', `bus log ${file} is corrupt at byte ${position}: ${reason}`);
    this.name = 'BusLogCorruptError';
    this.file = file;
    this.position = position;
  }
}

/** An I/O failure while writing: the write was rolled back where possible; retryable (disk full may clear). */
export const busIoError = (what: string, cause: unknown): TickstreamError =>
  new TickstreamError(
    'BUS_UNAVAILABLE',
    `${what}: ${cause instanceof Error ? cause.message : String(cause)}`,
    { cause },
  );
