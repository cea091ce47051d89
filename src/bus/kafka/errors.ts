// Maps @platformatic/kafka failures to the bus's typed errors, keeping the original as `cause`:
//   unknown topic or partition                      → BUS_TOPIC_UNKNOWN
//   network, timeout, retriable broker errors       → BUS_UNAVAILABLE (retryable: the runtime backs off)
//   (broker down, NOT_LEADER_OR_FOLLOWER, coordinator moving, rebalance in progress)
//   a closed client                                 → BUS_CLOSED
//   anything else (auth, bad request)               → BUS_UNAVAILABLE, not retryable

import { findErrorBy, type GenericError } from '@platformatic/kafka';
import { TickstreamError } from '../../domain/errors.ts';

const UNKNOWN_TOPIC = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'UNKNOWN_TOPIC_ID']);

/** True if `e`, or an error it aggregates, has `property` equal to `value`. */
const has = (e: unknown, property: string, value: unknown): boolean =>
  e instanceof Error && findErrorBy(e, property, value) !== null;

/** Walks `e` and what it aggregates (MultipleErrors.errors, cause), depth-first. */
const some = (e: unknown, test: (x: GenericError) => boolean, depth = 0): boolean => {
  if (!(e instanceof Error) || depth > 8) return false;
  if (test(e as GenericError)) return true;
  const nested = (e as { errors?: unknown }).errors;
  if (Array.isArray(nested) && nested.some((x) => some(x, test, depth + 1))) return true;
  return some((e as { cause?: unknown }).cause, test, depth + 1);
};

/** True if `e`, or an error it aggregates, is the broker's error `apiId` (e.g. TOPIC_ALREADY_EXISTS). */
export const hasApiId = (e: unknown, apiId: string): boolean => some(e, (x) => x.apiId === apiId);

export const isUnknownTopic = (e: unknown): boolean =>
  some(e, (x) => typeof x.apiId === 'string' && UNKNOWN_TOPIC.has(x.apiId));

export const isOffsetOutOfRange = (e: unknown): boolean => has(e, 'apiId', 'OFFSET_OUT_OF_RANGE');

export const isClientClosed = (e: unknown): boolean =>
  some(
    e,
    (x) => x.closed === true || (typeof x.message === 'string' && x.message.startsWith('Client closed')),
  );

/** Broker unreachable, timed out, or a broker error Kafka marks retriable. */
export const isTransient = (e: unknown): boolean =>
  some(
    e,
    (x) =>
      (x.code === 'PLT_KFK_NETWORK' && x.canRetry !== false) ||
      x.code === 'PLT_KFK_TIMEOUT' ||
      x.canRetry === true ||
      x.needsRejoin === true ||
      x.hasStaleMetadata === true ||
      ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(String(x.code)),
  );

/** The bus error for a failure of `what` (an operation named for the message). */
export const toBusError = (e: unknown, what: string): TickstreamError => {
  if (e instanceof TickstreamError) return e;
  const detail = e instanceof Error ? e.message : String(e);
  if (isUnknownTopic(e)) {
    return new TickstreamError('BUS_TOPIC_UNKNOWN', `${what}: unknown topic or partition (${detail})`, {
      cause: e,
    });
  }
  if (isClientClosed(e)) return new TickstreamError('BUS_CLOSED', `${what}: client closed`, { cause: e });
  if (isTransient(e)) {
    return new TickstreamError('BUS_UNAVAILABLE', `${what}: Kafka unavailable (${detail})`, { cause: e });
  }
  return new TickstreamError('BUS_UNAVAILABLE', `${what}: ${detail}`, { cause: e, retryable: false });
};
