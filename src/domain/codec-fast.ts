// The fast path of the bus codec for the hot records, Trade and Fill: hand-written Avro readers and
// writers (codec-fast-read.ts, codec-fast-write.ts) bound to the registry entries whose schemas they
// implement. codec.ts routes decodeTrade/decodeFill/encodeTrade/encodeFill here and keeps the avsc path
// (decodeTradeAvsc, ...) as the reference; the tests hold the two to the same bytes and verdicts.
//
// Binding is by schema, not by name: at load, the registry entry whose Parsing Canonical Form equals
// the schema below is the one the fast path reads. A future trade.v2 (new file, new id) therefore
// leaves the fast path reading v1 only, and every other id (and every malformed header) goes to the
// avsc path, which reports it or resolves it. Encoding uses the fast writer only while its schema is
// the latest version of the record.
//
// bind, framed and HEADER_BYTES are exported for the other fast records (codec-fast-candle.ts, -alert.ts).
import avro from 'avsc';
import { readCleanTrade, readFill, readTrade } from './codec-fast-read.ts';
import { writeFill, writeTrade } from './codec-fast-write.ts';
import { latest, type RecordName, SCHEMAS_BY_ID, type SchemaEntry } from './codec-schemas.ts';
import type { Fill, Trade } from './types.ts';
import type { Verdict } from './validate.ts';

/** The schemas the hand-written code implements, field for field (docs do not matter). */
const TRADE_V1 = {
  type: 'record',
  name: 'Trade',
  namespace: 'tickstream',
  fields: [
    { name: 'symbol', type: 'string' },
    { name: 'price', type: 'double' },
    { name: 'size', type: 'double' },
    { name: 'time', type: 'long' },
    { name: 'conditions', type: { type: 'array', items: 'string' } },
    { name: 'seq', type: 'long' },
  ],
};

const FILL_V1 = {
  type: 'record',
  name: 'Fill',
  namespace: 'tickstream',
  fields: [
    { name: 'fillId', type: 'string' },
    { name: 'user', type: 'int' },
    { name: 'symbol', type: 'string' },
    { name: 'side', type: { type: 'enum', name: 'Side', symbols: ['buy', 'sell'] } },
    { name: 'quantity', type: 'double' },
    { name: 'price', type: 'double' },
    { name: 'time', type: 'long' },
  ],
};

const fingerprint = (t: avro.Type): string => t.fingerprint('sha256').toString('hex');

export const bind = (name: RecordName, schema: object): SchemaEntry | undefined => {
  const want = fingerprint(avro.Type.forSchema(schema as avro.Schema));
  for (const e of SCHEMAS_BY_ID.values()) if (e.name === name && fingerprint(e.type) === want) return e;
  return undefined;
};

const TRADE = bind('Trade', TRADE_V1);
const FILL = bind('Fill', FILL_V1);

/** Schema ids the fast readers handle (-1 when the registry has no matching schema). */
export const FAST_TRADE_ID = TRADE?.id ?? -1;
export const FAST_FILL_ID = FILL?.id ?? -1;
/** Whether the fast writers write the latest schema version (otherwise codec.ts encodes with avsc). */
export const FAST_TRADE_WRITES = TRADE !== undefined && TRADE === latest('Trade');
export const FAST_FILL_WRITES = FILL !== undefined && FILL === latest('Fill');

export const HEADER_BYTES = 5;

/** Whether b is a framed record of schema `id` within the size cap: only then the fast reader runs. */
export const framed = (b: Uint8Array, id: number, cap: number): boolean =>
  b instanceof Uint8Array &&
  b.length >= HEADER_BYTES &&
  b.length <= cap &&
  b[0] === 0 &&
  b[1] === id >>> 24 &&
  b[2] === ((id >>> 16) & 0xff) &&
  b[3] === ((id >>> 8) & 0xff) &&
  b[4] === (id & 0xff);

/**
 * The verdict for a framed Trade v1 record, or undefined when the bytes are anything else (not bytes,
 * above `cap`, a short or foreign header): the caller then asks the avsc path, which words those cases.
 */
export const decodeTradeFast = (b: Uint8Array, cap: number): Verdict<Trade> | undefined =>
  FAST_TRADE_ID >= 0 && framed(b, FAST_TRADE_ID, cap) ? readTrade(b, HEADER_BYTES) : undefined;

/** readCleanTrade on a framed Trade v1 record within `cap` bytes; false for anything else. */
export const readCleanTradeFast = (b: Uint8Array, cap: number): boolean =>
  FAST_TRADE_ID >= 0 && framed(b, FAST_TRADE_ID, cap) && readCleanTrade(b, HEADER_BYTES);

/** As decodeTradeFast, for Fill v1. */
export const decodeFillFast = (b: Uint8Array, cap: number): Verdict<Fill> | undefined =>
  FAST_FILL_ID >= 0 && framed(b, FAST_FILL_ID, cap) ? readFill(b, HEADER_BYTES) : undefined;

const unbound = (name: string): never => {
  throw new Error(`codec-fast: schemas/ has no ${name} schema the fast writer implements`);
};

/** A framed Trade v1 record of at most `cap` bytes; throws TickstreamError VALIDATION_FAILED. */
export const encodeTradeFast = (t: Trade, cap: number): Buffer =>
  TRADE === undefined ? unbound('Trade') : writeTrade(t, TRADE.id, TRADE.subject, cap);

/** A framed Fill v1 record of at most `cap` bytes; throws TickstreamError VALIDATION_FAILED. */
export const encodeFillFast = (f: Fill, cap: number): Buffer =>
  FILL === undefined ? unbound('Fill') : writeFill(f, FILL.id, FILL.subject, cap);
