// A candle's or a trade's values as one cell: the frozen user-defined types `candle_bar` and
// `trade_print` (schema v3), bound as the bytes of their CQL serialization.
//
// Why one cell: Cassandra's write cost grows with the cells of a row (each is bound, validated, sized,
// copied into the memtable, written to the commit log and again at flush). Measured on the local node,
// same rows and batches, alternating runs: a candle row with nine value cells cost the node 42–58 µs
// of CPU, with one frozen UDT cell 23–34 µs; a trade row with three cells 31–34 µs, with one 26–27 µs.
// Both are always written whole (a forming bar's revision replaces every value; a trade never
// changes), so nothing needs one field updated in place, and cqlsh still shows every field by name:
// `{open: 100.1, high: 100.6, …}`.
//
// Why bytes rather than objects: the driver binds a Buffer to any column as is, so the one encoding
// here serves the one-buffer batch encoder and the driver's own requests alike; value-cells.test.ts
// checks it against the driver's UDT encoder. The fields keep the names of the v2 columns they
// replace, so the driver's decoded UDT is read by the same row mappers.
import type { Candle, Trade } from '../../domain/types.ts';
import { writeBigintValue, writeDoubleValue } from './cql-bytes.ts';

type FieldType = 'double' | 'bigint' | 'boolean' | 'text';

/** Each type's fields in declaration order, which is the order of their values in the cell. */
export const VALUE_TYPES = {
  candle_bar: [
    ['open', 'double'],
    ['high', 'double'],
    ['low', 'double'],
    ['close', 'double'],
    ['volume', 'double'],
    ['vwap', 'double'],
    ['trades', 'bigint'],
    ['final', 'boolean'],
    ['indicators', 'text'],
  ],
  trade_print: [
    ['price', 'double'],
    ['size', 'double'],
    ['conditions', 'text'],
  ],
} as const satisfies Record<string, readonly (readonly [string, FieldType])[]>;

export const valueTypeDdl = (ks: string, name: keyof typeof VALUE_TYPES): string =>
  `CREATE TYPE IF NOT EXISTS ${ks}.${name} (${VALUE_TYPES[name].map(([n, t]) => `${n} ${t}`).join(', ')})`;

/**
 * The serialized `candle_bar` of `c`: for each field a 4-byte length and its value. `trades` must be a
 * safe integer (the caller checks, as for every bigint column); `indicators` is the JSON text.
 */
export const encodeBar = (c: Candle, trades: number, indicators: string): Buffer => {
  const textLen = Buffer.byteLength(indicators, 'utf8');
  // six doubles and one bigint (4 + 8 each), one boolean (4 + 1), the text (4 + n)
  const buf = Buffer.allocUnsafe(7 * 12 + 5 + 4 + textLen);
  let o = writeDoubleValue(buf, c.open, 0);
  o = writeDoubleValue(buf, c.high, o);
  o = writeDoubleValue(buf, c.low, o);
  o = writeDoubleValue(buf, c.close, o);
  o = writeDoubleValue(buf, c.volume, o);
  o = writeDoubleValue(buf, c.vwap, o);
  o = writeBigintValue(buf, trades, o);
  o = buf.writeInt32BE(1, o);
  o = buf.writeUInt8(c.final ? 1 : 0, o);
  o = buf.writeInt32BE(textLen, o);
  buf.write(indicators, o, 'utf8');
  return buf;
};

/** The serialized `trade_print` of `t`; `conditions` is the JSON text. */
export const encodePrint = (t: Trade, conditions: string): Buffer => {
  const textLen = Buffer.byteLength(conditions, 'utf8');
  const buf = Buffer.allocUnsafe(2 * 12 + 4 + textLen);
  let o = writeDoubleValue(buf, t.price, 0);
  o = writeDoubleValue(buf, t.size, o);
  o = buf.writeInt32BE(textLen, o);
  buf.write(conditions, o, 'utf8');
  return buf;
};
