// Test-only: Avro bytes built by hand from the specification (BigInt zigzag varints, Buffer for doubles
// and UTF-8, the Confluent frame), independent of avsc and of our codecs, so the codec tests can state
// expected encodings without trusting either.
import assert from 'node:assert/strict';

/** Avro zigzag varint of any long. */
export const zz = (n: number | bigint): number[] => {
  let z = (BigInt(n) << 1n) ^ (BigInt(n) >> 63n);
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return out;
};

/** An Avro string: its UTF-8 byte length as a long, then the bytes. */
export const str = (s: string): number[] => [...zz(Buffer.byteLength(s)), ...Buffer.from(s)];

/** An Avro double: 8 bytes little-endian. */
export const dbl = (x: number): number[] => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(x);
  return [...b];
};

/** Confluent wire format: magic byte 0, the schema id as 4 bytes big-endian, then the Avro body. */
export const frame = (id: number, body: number[]): Uint8Array => {
  const h = Buffer.alloc(5);
  h.writeUInt32BE(id, 1);
  return Uint8Array.from([...h, ...body]);
};

/** Byte-for-byte equality, reported as hex so a failure shows where the encodings part. */
export const bytesEqual = (a: Uint8Array, b: Uint8Array): void =>
  assert.equal(Buffer.from(a).toString('hex'), Buffer.from(b).toString('hex'));
