// Typed errors with stable codes: callers branch on `code` and `retryable`, never on message text.

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'DECODE_FAILED'
  | 'VALIDATION_FAILED'
  | 'BUS_UNAVAILABLE'
  | 'BUS_TOPIC_UNKNOWN'
  | 'BUS_CLOSED'
  /** A durable bus log file failed validation somewhere other than a torn tail: never silently dropped. */
  | 'BUS_LOG_CORRUPT'
  | 'STORE_UNAVAILABLE'
  | 'STORE_QUERY_INVALID'
  | 'CHECKPOINT_CORRUPT'
  | 'SOURCE_FAILED'
  | 'NOT_FOUND'
  | 'BAD_REQUEST';

const RETRYABLE: ReadonlySet<ErrorCode> = new Set(['BUS_UNAVAILABLE', 'STORE_UNAVAILABLE']);

export class TickstreamError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TickstreamError';
    this.code = code;
    this.retryable = options?.retryable ?? RETRYABLE.has(code);
  }
}

export const isTickstreamError = (e: unknown, code?: ErrorCode): e is TickstreamError =>
  e instanceof TickstreamError && (code === undefined || e.code === code);
