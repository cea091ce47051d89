// CQL values as the native protocol writes them ([int] length, then the value), shared by the BATCH
// encoder (batch-encode.ts) and the value cells (value-cells.ts), which must write the driver's bytes.

const TWO_32 = 4294967296;

/** A `double` value at `o`; returns the offset after it. */
export const writeDoubleValue = (buf: Buffer, v: number, o: number): number =>
  buf.writeDoubleBE(v, buf.writeInt32BE(8, o));

/**
 * A `bigint` value at `o` from a safe integer (the caller checks), as the driver's Long.fromNumber
 * writes it: the two's complement high and low 32-bit halves. Returns the offset after it.
 */
export const writeBigintValue = (buf: Buffer, v: number, o: number): number => {
  const hi = Math.floor(v / TWO_32);
  return buf.writeUInt32BE(v - hi * TWO_32, buf.writeInt32BE(hi, buf.writeInt32BE(8, o)));
};
