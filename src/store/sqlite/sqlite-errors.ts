// SQLite failures as typed store errors: callers branch on `code`/`retryable`, never on SQLite text.
import { TickstreamError } from '../../domain/errors.ts';

// Primary result codes (the low byte of an extended code) that mean "try again later" or "the disk
// is the problem", as opposed to a statement this adapter should never have run.
const UNAVAILABLE = new Set([
  5, // SQLITE_BUSY: another connection holds the write lock past the busy timeout
  6, // SQLITE_LOCKED
  10, // SQLITE_IOERR
  13, // SQLITE_FULL
  14, // SQLITE_CANTOPEN
]);
const RETRYABLE = new Set([5, 6]);

const errcodeOf = (e: unknown): number | undefined => {
  if (typeof e !== 'object' || e === null || !('errcode' in e)) return undefined;
  return typeof e.errcode === 'number' ? e.errcode & 0xff : undefined;
};

export const toStoreError = (cause: unknown, op: string): TickstreamError => {
  if (cause instanceof TickstreamError) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  const code = errcodeOf(cause);
  if (code !== undefined && UNAVAILABLE.has(code)) {
    return new TickstreamError('STORE_UNAVAILABLE', `${op}: ${message}`, {
      cause,
      retryable: RETRYABLE.has(code),
    });
  }
  return new TickstreamError('STORE_QUERY_INVALID', `${op}: ${message}`, { cause });
};
