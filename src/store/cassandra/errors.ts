// cassandra-driver failures as typed store errors: callers branch on `code`/`retryable`, never on
// driver classes or message text. "The cluster cannot serve this now" (no host, timeouts, too few
// replicas, overload) is STORE_UNAVAILABLE and retryable; a statement the server refuses (syntax,
// unknown table, bad value) is STORE_QUERY_INVALID, which no retry fixes.
import { errors, types } from 'cassandra-driver';
import { TickstreamError } from '../../domain/errors.ts';

const codes = types.responseErrorCodes;

/** Server response codes that mean "not now": the request may succeed when retried. */
const RETRYABLE_RESPONSES: ReadonlySet<number> = new Set([
  codes.serverError,
  codes.unavailableException,
  codes.overloaded,
  codes.isBootstrapping,
  codes.truncateError,
  codes.writeTimeout,
  codes.readTimeout,
  codes.readFailure,
  codes.writeFailure,
]);

export const toStoreError = (cause: unknown, op: string): TickstreamError => {
  if (cause instanceof TickstreamError) return cause;
  const message = `${op}: ${cause instanceof Error ? cause.message : String(cause)}`;
  if (
    cause instanceof errors.NoHostAvailableError ||
    cause instanceof errors.OperationTimedOutError ||
    cause instanceof errors.BusyConnectionError ||
    cause instanceof errors.DriverInternalError
  ) {
    return new TickstreamError('STORE_UNAVAILABLE', message, { cause, retryable: true });
  }
  if (cause instanceof errors.AuthenticationError) {
    // Wrong credentials do not fix themselves: unavailable, but not worth a retry loop.
    return new TickstreamError('STORE_UNAVAILABLE', message, { cause, retryable: false });
  }
  if (cause instanceof errors.ResponseError) {
    if (RETRYABLE_RESPONSES.has(cause.code)) {
      return new TickstreamError('STORE_UNAVAILABLE', message, { cause, retryable: true });
    }
    if (cause.code === codes.badCredentials || cause.code === codes.unauthorized) {
      return new TickstreamError('STORE_UNAVAILABLE', message, { cause, retryable: false });
    }
  }
  // Syntax/invalid/config responses, and the driver's own TypeError/RangeError for a value that
  // does not fit its column: a bug in the statement or the data, not in the cluster.
  return new TickstreamError('STORE_QUERY_INVALID', message, { cause });
};
