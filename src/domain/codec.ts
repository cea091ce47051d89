// Binary wire format of the bus: Avro bodies (avsc) in Confluent framing, i.e. magic byte 0x00, the
// 4-byte big-endian schema id from schemas/registry.json, then the Avro binary body. Tools that know the
// framing (kcat -s value=avro with a schema registry, Confluent's KafkaAvroDeserializer) can read it once
// the schemas are registered under the same ids.
//
// Decoding never throws. In order: size cap (before touching the bytes), header (magic, schema id known
// and of the expected record type), a bounds pre-scan of the body (codec-scan.ts: block counts and
// lengths must fit in the remaining bytes, so avsc never allocates more than the input justifies;
// trailing bytes rejected), avsc decode, then the record's own checks (finite numbers, bounded strings,
// timestamps, enums). Anything wrong becomes a Verdict with a reason.
//
// Encoding trusts its input (producers validate at the edges) and throws a TickstreamError only when a
// value cannot be written at all or the record would exceed MAX_RECORD_BYTES.
import type avro from 'avsc';
import {
  checkAlert,
  checkCandle,
  checkDeadletter,
  checkPortfolioValue,
  checkPosition,
  MAX_DETAIL_LEN,
} from './codec-checks.ts';
import {
  decodeFillFast,
  decodeTradeFast,
  encodeFillFast,
  encodeTradeFast,
  FAST_FILL_WRITES,
  FAST_TRADE_WRITES,
  readCleanTradeFast,
} from './codec-fast.ts';
import { decodeAlertFast, encodeAlertFast, FAST_ALERT_WRITES } from './codec-fast-alert.ts';
import { decodeCandleFast, encodeCandleFast, FAST_CANDLE_WRITES } from './codec-fast-candle.ts';
import type { ScanState } from './codec-scan.ts';
import { latest, type RecordName, SCHEMA_IDS, SCHEMAS_BY_ID, type SchemaEntry } from './codec-schemas.ts';
import { TickstreamError } from './errors.ts';
import type {
  Alert,
  Candle,
  Deadletter,
  Fill,
  IndicatorValues,
  PortfolioValue,
  Position,
  Trade,
} from './types.ts';
import type { Universe } from './universe.ts';
import {
  accept,
  checkFill,
  checkTrade,
  type Rejection,
  reject,
  unknownSymbol,
  type Verdict,
} from './validate.ts';

export { CLEAN_TRADE, type CleanTrade } from './codec-fast-read.ts';
export { type RecordName, SCHEMA_IDS };

/** Largest framed record accepted (and produced) on the bus, except deadletters. */
export const MAX_RECORD_BYTES = 64 * 1024;
/** A deadletter carries the original bytes, truncated to this many. */
export const MAX_DEADLETTER_PAYLOAD_BYTES = MAX_RECORD_BYTES;
/** Room for a full-size payload plus the detail (up to 3 bytes a character) and the topic name. */
export const MAX_DEADLETTER_BYTES = MAX_DEADLETTER_PAYLOAD_BYTES + 8 * 1024;

const HEADER_BYTES = 5;

/** The schema id in a framed record's header, or -1 when the bytes are not Confluent-framed. */
export const schemaIdOf = (b: Uint8Array): number =>
  b.length >= HEADER_BYTES && b[0] === 0 ? b[1]! * 0x1000000 + ((b[2]! << 16) | (b[3]! << 8) | b[4]!) : -1;

/** The record type of a framed record (for topics that carry more than one, e.g. portfolio-updates). */
export const recordTypeOf = (b: Uint8Array): RecordName | undefined => SCHEMAS_BY_ID.get(schemaIdOf(b))?.name;

// ---- encoding -------------------------------------------------------------------------------------

// One scratch buffer for every encode: avsc writes into it, the result is copied out once.
const scratch = Buffer.allocUnsafe(MAX_DEADLETTER_BYTES);

const encodeWith = (entry: SchemaEntry, value: unknown, cap: number): Buffer => {
  scratch[0] = 0;
  scratch.writeUInt32BE(entry.id, 1);
  let end: number;
  try {
    end = entry.type.encode(value, scratch, HEADER_BYTES);
  } catch (e) {
    throw new TickstreamError(
      'VALIDATION_FAILED',
      `cannot encode ${entry.subject}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  if (end < 0 || end > cap) {
    throw new TickstreamError('VALIDATION_FAILED', `${entry.subject} would exceed ${cap} bytes`);
  }
  const out = Buffer.allocUnsafe(end);
  scratch.copy(out, 0, 0, end);
  return out;
};

const TRADE = latest('Trade');
const FILL = latest('Fill');
const CANDLE = latest('Candle');
const ALERT = latest('Alert');
const POSITION = latest('Position');
const PORTFOLIO_VALUE = latest('PortfolioValue');
const DEADLETTER = latest('Deadletter');

/** Trades and fills go through the hand-written writers (codec-fast.ts); these are the avsc reference. */
export const encodeTradeAvsc = (t: Trade): Uint8Array => encodeWith(TRADE, t, MAX_RECORD_BYTES);
export const encodeFillAvsc = (f: Fill): Uint8Array => encodeWith(FILL, f, MAX_RECORD_BYTES);
export const encodeTrade = (t: Trade): Uint8Array =>
  FAST_TRADE_WRITES ? encodeTradeFast(t, MAX_RECORD_BYTES) : encodeTradeAvsc(t);
export const encodeFill = (f: Fill): Uint8Array =>
  FAST_FILL_WRITES ? encodeFillFast(f, MAX_RECORD_BYTES) : encodeFillAvsc(f);
/** Alerts go through the hand-written writer (codec-fast-alert.ts); this is the avsc reference. */
export const encodeAlertAvsc = (a: Alert): Uint8Array => encodeWith(ALERT, a, MAX_RECORD_BYTES);
export const encodeAlert = (a: Alert): Uint8Array =>
  FAST_ALERT_WRITES ? encodeAlertFast(a, MAX_RECORD_BYTES) : encodeAlertAvsc(a);
export const encodePosition = (p: Position): Uint8Array => encodeWith(POSITION, p, MAX_RECORD_BYTES);
export const encodePortfolioValue = (v: PortfolioValue): Uint8Array =>
  encodeWith(PORTFOLIO_VALUE, v, MAX_RECORD_BYTES);

/** Candles go through the hand-written writer (codec-fast-candle.ts); this is the avsc reference. */
export const encodeCandleAvsc = (c: Candle): Uint8Array => {
  const iv = c.indicators;
  // Optional indicator fields are Avro unions with null; avsc writes undefined as null already, so the
  // candle object is passed through without a copy.
  return encodeWith(CANDLE, iv === undefined ? { ...c, indicators: {} } : c, MAX_RECORD_BYTES);
};
export const encodeCandle = (c: Candle): Uint8Array =>
  FAST_CANDLE_WRITES ? encodeCandleFast(c, MAX_RECORD_BYTES) : encodeCandleAvsc(c);

/** Payloads above MAX_DEADLETTER_PAYLOAD_BYTES are truncated, and long details cut; the detail says so. */
export const encodeDeadletter = (d: Deadletter): Uint8Array => {
  let { detail, payload } = d;
  if (payload.length > MAX_DEADLETTER_PAYLOAD_BYTES) {
    detail = `${detail.slice(0, MAX_DETAIL_LEN - 64)} [payload truncated from ${payload.length} bytes]`;
    payload = payload.subarray(0, MAX_DEADLETTER_PAYLOAD_BYTES);
  } else if (detail.length > MAX_DETAIL_LEN) {
    detail = `${detail.slice(0, MAX_DETAIL_LEN - 16)} [truncated]`;
  }
  // avsc writes `bytes` from a Buffer; wrap (no copy) when given a plain Uint8Array.
  const bytes = Buffer.isBuffer(payload)
    ? payload
    : Buffer.from(payload.buffer, payload.byteOffset, payload.length);
  return encodeWith(DEADLETTER, { ...d, detail, payload: bytes }, MAX_DEADLETTER_BYTES);
};

// ---- decoding -------------------------------------------------------------------------------------

const st: ScanState = { end: 0, budget: 0, n: 0, error: '' };
// Decoding is synchronous, so one slot for the decoded body is enough (no per-record result object).
let body: unknown;

const resolvers = new Map<number, avro.Resolver>();
const resolverFor = (writer: SchemaEntry, reader: SchemaEntry): avro.Resolver | undefined => {
  if (writer === reader) return undefined;
  let r = resolvers.get(writer.id);
  if (r === undefined) {
    r = reader.type.createResolver(writer.type);
    resolvers.set(writer.id, r);
  }
  return r;
};

/** Checks and decodes a framed body into `body`; returns a rejection or undefined. */
const readBody = (b: Uint8Array, reader: SchemaEntry, cap: number): Rejection | undefined => {
  if (!(b instanceof Uint8Array)) return reject('decode_error', 'not a byte array');
  if (b.length > cap) return reject('oversized', `${b.length} bytes, limit ${cap}`);
  if (b.length < HEADER_BYTES)
    return reject('decode_error', `${b.length} bytes, shorter than the 5-byte header`);
  if (b[0] !== 0) return reject('decode_error', `magic byte 0x${b[0]!.toString(16)}, expected 0x00`);
  const id = schemaIdOf(b);
  const writer = SCHEMAS_BY_ID.get(id);
  if (writer === undefined) return reject('decode_error', `unknown schema id ${id}`);
  if (writer.name !== reader.name) {
    return reject('decode_error', `schema id ${id} is ${writer.subject}, expected ${reader.subject}`);
  }
  st.end = b.length;
  st.budget = b.length;
  const end = writer.scan(b, HEADER_BYTES, st);
  if (end < 0) return reject('decode_error', st.error);
  if (end !== b.length) return reject('decode_error', `${b.length - end} trailing bytes after the record`);
  // avsc reads through Buffer methods; a Buffer view over the same memory costs no copy.
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length);
  try {
    const res = reader.type.decode(buf, HEADER_BYTES, resolverFor(writer, reader));
    if (res.offset !== b.length) return reject('decode_error', 'body length mismatch');
    body = res.value;
  } catch (e) {
    return reject('decode_error', (e as Error).message);
  }
  return undefined;
};

// avsc returns instances of generated record classes; the decoders copy the fields into plain objects
// (the shape every other module builds) and turn Avro nulls into absent optional fields.

/**
 * Trades and fills go through the hand-written readers (codec-fast.ts), which give the same verdicts;
 * anything that is not a framed record of the schema they implement falls through to the avsc path.
 */
export function decodeTrade(b: Uint8Array): Verdict<Trade> {
  return decodeTradeFast(b, MAX_RECORD_BYTES) ?? decodeTradeAvsc(b);
}

/**
 * The consumer's hot path for trades: true when `b` is a trade decodeTrade accepts as it is, its fields
 * then in CLEAN_TRADE (the symbol as bytes of `b`, for Universe.indexOfBytes). False for anything else,
 * good or bad: decodeTrade then gives the verdict.
 */
export function readCleanTradeOf(b: Uint8Array): boolean {
  return readCleanTradeFast(b, MAX_RECORD_BYTES);
}

export function decodeFill(b: Uint8Array): Verdict<Fill> {
  return decodeFillFast(b, MAX_RECORD_BYTES) ?? decodeFillAvsc(b);
}

// A decoder's verdict already holds every rule of checkTrade / checkFill: with the universe added it is
// what validateTrade / validateFill would say of the decoded record, without checking it twice.

/** decodeTrade, and unknown_symbol for a symbol outside the universe. */
export function decodeKnownTrade(b: Uint8Array, universe: Universe): Verdict<Trade> {
  const d = decodeTrade(b);
  return !d.ok || universe.has(d.value.symbol) ? d : unknownSymbol(d.value.symbol);
}

/** decodeFill, and unknown_symbol for a symbol outside the universe. */
export function decodeKnownFill(b: Uint8Array, universe: Universe): Verdict<Fill> {
  const d = decodeFill(b);
  return !d.ok || universe.has(d.value.symbol) ? d : unknownSymbol(d.value.symbol);
}

/** The avsc path for trades: the reference the fast reader is tested against. */
export function decodeTradeAvsc(b: Uint8Array): Verdict<Trade> {
  const r = readBody(b, TRADE, MAX_RECORD_BYTES);
  if (r !== undefined) return r;
  const v = body as Trade;
  const t: Trade = {
    symbol: v.symbol,
    price: v.price,
    size: v.size,
    time: v.time,
    conditions: v.conditions,
    seq: v.seq,
  };
  return checkTrade(t) ?? accept(t);
}

/** The avsc path for fills: the reference the fast reader is tested against. */
export function decodeFillAvsc(b: Uint8Array): Verdict<Fill> {
  const r = readBody(b, FILL, MAX_RECORD_BYTES);
  if (r !== undefined) return r;
  const v = body as Fill;
  const f: Fill = {
    fillId: v.fillId,
    user: v.user,
    symbol: v.symbol,
    side: v.side,
    quantity: v.quantity,
    price: v.price,
    time: v.time,
  };
  return checkFill(f) ?? accept(f);
}

interface AvroIndicators {
  sma: Record<number, number> | null;
  ema: Record<number, number> | null;
  rsi: number | null;
  bollinger: { upper: number; middle: number; lower: number } | null;
}

const indicatorsFromAvro = (a: AvroIndicators): IndicatorValues => {
  const iv: IndicatorValues = {};
  if (a.sma !== null) iv.sma = a.sma;
  if (a.ema !== null) iv.ema = a.ema;
  if (a.rsi !== null) iv.rsi = a.rsi;
  if (a.bollinger !== null)
    iv.bollinger = { upper: a.bollinger.upper, middle: a.bollinger.middle, lower: a.bollinger.lower };
  return iv;
};

/** Candles go through the hand-written reader (codec-fast-candle.ts) as trades do; same verdicts. */
export function decodeCandle(b: Uint8Array): Verdict<Candle> {
  return decodeCandleFast(b, MAX_RECORD_BYTES) ?? decodeCandleAvsc(b);
}

/** The avsc path for candles: the reference the fast reader is tested against. */
export function decodeCandleAvsc(b: Uint8Array): Verdict<Candle> {
  const r = readBody(b, CANDLE, MAX_RECORD_BYTES);
  if (r !== undefined) return r;
  const v = body as Omit<Candle, 'indicators'> & { indicators: AvroIndicators };
  const c: Candle = {
    symbol: v.symbol,
    intervalMs: v.intervalMs,
    start: v.start,
    open: v.open,
    high: v.high,
    low: v.low,
    close: v.close,
    volume: v.volume,
    vwap: v.vwap,
    trades: v.trades,
    final: v.final,
    indicators: indicatorsFromAvro(v.indicators),
  };
  return checkCandle(c) ?? accept(c);
}

/** Alerts go through the hand-written reader (codec-fast-alert.ts) as trades do; same verdicts. */
export function decodeAlert(b: Uint8Array): Verdict<Alert> {
  return decodeAlertFast(b, MAX_RECORD_BYTES) ?? decodeAlertAvsc(b);
}

/** The avsc path for alerts: the reference the fast reader is tested against. */
export function decodeAlertAvsc(b: Uint8Array): Verdict<Alert> {
  const r = readBody(b, ALERT, MAX_RECORD_BYTES);
  if (r !== undefined) return r;
  const v = body as Omit<Alert, 'user'> & { user: number | null };
  const a: Alert = {
    symbol: v.symbol,
    time: v.time,
    kind: v.kind,
    value: v.value,
    threshold: v.threshold,
    id: v.id,
    message: v.message,
  };
  if (v.user !== null) a.user = v.user;
  return checkAlert(a) ?? accept(a);
}

export function decodePosition(b: Uint8Array): Verdict<Position> {
  const r = readBody(b, POSITION, MAX_RECORD_BYTES);
  if (r !== undefined) return r;
  const v = body as Position;
  const p: Position = {
    user: v.user,
    symbol: v.symbol,
    quantity: v.quantity,
    avgCost: v.avgCost,
    realizedPnl: v.realizedPnl,
    updatedAt: v.updatedAt,
  };
  return checkPosition(p) ?? accept(p);
}

export function decodePortfolioValue(b: Uint8Array): Verdict<PortfolioValue> {
  const r = readBody(b, PORTFOLIO_VALUE, MAX_RECORD_BYTES);
  if (r !== undefined) return r;
  const v = body as PortfolioValue;
  const pv: PortfolioValue = {
    user: v.user,
    time: v.time,
    value: v.value,
    cost: v.cost,
    realizedPnl: v.realizedPnl,
    unrealizedPnl: v.unrealizedPnl,
    dayChange: v.dayChange,
  };
  return checkPortfolioValue(pv) ?? accept(pv);
}

export function decodeDeadletter(b: Uint8Array): Verdict<Deadletter> {
  const r = readBody(b, DEADLETTER, MAX_DEADLETTER_BYTES);
  if (r !== undefined) return r;
  const v = body as Deadletter;
  const d: Deadletter = {
    sourceTopic: v.sourceTopic,
    partition: v.partition,
    offset: v.offset,
    reason: v.reason,
    detail: v.detail,
    // avsc hands out Buffers cut from a shared pool; a plain copy owns its memory.
    payload: new Uint8Array(v.payload),
    time: v.time,
  };
  return checkDeadletter(d, MAX_DEADLETTER_PAYLOAD_BYTES) ?? accept(d);
}
