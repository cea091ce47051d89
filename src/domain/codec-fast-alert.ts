// The fast path of the bus codec for Alert (schemas/alert.v1.avsc): a hand-written Avro reader and
// writer bound to the registry entry whose schema they implement, built on the primitives of
// codec-fast-read.ts and codec-fast-write.ts, as codec-fast-candle.ts is. codec.ts routes
// decodeAlert/encodeAlert here and keeps the avsc path (decodeAlertAvsc, encodeAlertAvsc) as the
// reference; codec-fast-alert.test.ts holds the two to the same bytes and the same verdicts.
//
// Reading does the bounds pre-scan's checks inline with its texts (the user union's branch is labelled
// "user<1>"); a record that passes every rule of checkAlert while being read is accepted at once, any
// other is handed to checkAlert. Writing gives avsc's bytes and refuses what avsc refuses, except a
// kind that is a key of Object.prototype ("constructor"), which avsc's enum lookup does not refuse.
import {
  ALERT_KIND_ORDER,
  ALERT_KINDS,
  checkAlert,
  MAX_ALERT_ID_LEN,
  MAX_MESSAGE_LEN,
} from './codec-checks.ts';
import { bind, framed, HEADER_BYTES } from './codec-fast.ts';
import {
  fail,
  S as R,
  readDouble,
  readInt,
  readString,
  readVarint,
  start,
  trailing,
} from './codec-fast-read.ts';
import {
  begin,
  checkedInt,
  checkedLong,
  finish,
  invalid,
  notRecord,
  writeDouble,
  writeLong,
  writeString,
} from './codec-fast-write.ts';
import { latest } from './codec-schemas.ts';
import type { Alert, AlertKind, EventTimeMs } from './types.ts';
import { accept, MAX_SYMBOL_LEN, MAX_TIME_MS, MIN_TIME_MS, reject, type Verdict } from './validate.ts';

/** The enum's symbols in schema order: the index on the wire is the position here. */
const KINDS: readonly AlertKind[] = ALERT_KIND_ORDER;

/** The schema the hand-written code implements, field for field (docs and defaults do not matter). */
const ALERT_V1 = {
  type: 'record',
  name: 'Alert',
  namespace: 'tickstream',
  fields: [
    { name: 'symbol', type: 'string' },
    { name: 'time', type: 'long' },
    { name: 'kind', type: { type: 'enum', name: 'AlertKind', symbols: KINDS } },
    { name: 'value', type: 'double' },
    { name: 'threshold', type: 'double' },
    { name: 'user', type: ['null', 'int'] },
    { name: 'id', type: 'string' },
    { name: 'message', type: 'string' },
  ],
};

const ALERT = bind('Alert', ALERT_V1);

/** Schema id the fast reader handles (-1 when the registry has no matching schema). */
export const FAST_ALERT_ID = ALERT?.id ?? -1;
/** Whether the fast writer writes the latest Alert version (otherwise codec.ts encodes with avsc). */
export const FAST_ALERT_WRITES = ALERT !== undefined && ALERT === latest('Alert');

// The enum symbols must be the ones the record checks know, or a decoded kind could fail checkAlert.
for (const k of KINDS) if (!ALERT_KINDS.has(k)) throw new Error(`codec-fast-alert: unknown kind ${k}`);

/** Decodes an Alert v1 body that starts at `at` and runs to the end of `b`. */
export const readAlert = (b: Uint8Array, at: number): Verdict<Alert> => {
  start(b, at);
  const symbol = readString('symbol');
  if (R.pos < 0) return reject('decode_error', R.error);
  const symbolClean = R.token && symbol.length <= MAX_SYMBOL_LEN;
  const time = readVarint(10, 'time');
  if (R.pos < 0) return reject('decode_error', R.error);
  const index = readInt('kind');
  if (R.pos < 0) return reject('decode_error', R.error);
  if (index < 0 || index >= KINDS.length) {
    return reject('decode_error', `kind: enum index ${index} not in 0..${KINDS.length - 1}`);
  }
  const value = readDouble('value');
  if (R.pos < 0) return reject('decode_error', R.error);
  const threshold = readDouble('threshold');
  if (R.pos < 0) return reject('decode_error', R.error);
  const branch = readVarint(10, 'user');
  if (R.pos < 0) return reject('decode_error', R.error);
  if (branch !== 0 && branch !== 1) {
    fail(`user: union index ${branch} out of range`);
    return reject('decode_error', R.error);
  }
  const user = branch === 1 ? readInt('user<1>') : -1;
  if (R.pos < 0) return reject('decode_error', R.error);
  const id = readString('id');
  if (R.pos < 0) return reject('decode_error', R.error);
  const idClean = R.token && id.length <= MAX_ALERT_ID_LEN;
  const message = readString('message');
  const bad = trailing();
  if (bad !== undefined) return reject('decode_error', bad);
  // The decoded shape of the avsc path: user last, and only when present.
  const a: Alert = {
    symbol,
    time: time as EventTimeMs,
    kind: KINDS[index]!,
    value,
    threshold,
    id,
    message,
  };
  if (branch === 1) a.user = user;
  if (
    symbolClean &&
    time >= MIN_TIME_MS &&
    time <= MAX_TIME_MS &&
    Number.isFinite(value) &&
    Number.isFinite(threshold) &&
    (branch === 0 || user >= 0) &&
    idClean &&
    message.length <= MAX_MESSAGE_LEN
  ) {
    return accept(a);
  }
  return checkAlert(a) ?? accept(a);
};

/**
 * The verdict for a framed Alert v1 record, or undefined when the bytes are anything else (not bytes,
 * above `cap`, a short or foreign header): the caller then asks the avsc path, which words those cases.
 */
export const decodeAlertFast = (b: Uint8Array, cap: number): Verdict<Alert> | undefined =>
  FAST_ALERT_ID >= 0 && framed(b, FAST_ALERT_ID, cap) ? readAlert(b, HEADER_BYTES) : undefined;

const KIND_INDEX: ReadonlyMap<unknown, number> = new Map(KINDS.map((k, i) => [k, i]));

/** A framed Alert v1 record (header with `id`); throws VALIDATION_FAILED like the avsc path. */
export const writeAlert = (a: Alert, id: number, name: string, limit: number): Buffer => {
  begin(id, name, limit);
  if (notRecord(a)) invalid('record', a);
  writeString('symbol', a.symbol);
  writeLong(checkedLong('time', a.time));
  const kind = KIND_INDEX.get(a.kind);
  writeLong(kind === undefined ? invalid('kind', a.kind) : kind);
  writeDouble('value', a.value);
  writeDouble('threshold', a.threshold);
  // ["null", "int"]: undefined (the field's default) and null are the null branch, a number the int.
  const user = a.user as unknown;
  if (user === undefined || user === null) writeLong(0);
  else if (typeof user === 'number') {
    writeLong(1);
    writeLong(checkedInt('user', user));
  } else invalid('user', user);
  writeString('id', a.id);
  writeString('message', a.message);
  return finish();
};

/** A framed Alert v1 record of at most `cap` bytes; throws TickstreamError VALIDATION_FAILED. */
export const encodeAlertFast = (a: Alert, cap: number): Buffer => {
  if (ALERT === undefined) {
    throw new Error('codec-fast-alert: schemas/ has no Alert schema the fast writer implements');
  }
  return writeAlert(a, ALERT.id, ALERT.subject, cap);
};
