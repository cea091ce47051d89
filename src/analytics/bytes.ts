// A small binary writer/reader for analytics snapshots: numbers, typed arrays copied as raw bytes
// (platform byte order, little-endian everywhere Node runs in practice), strings and small JSON blobs.
// Every read is bounds-checked; a bad snapshot raises TickstreamError(CHECKPOINT_CORRUPT).
import { TickstreamError } from '../domain/errors.ts';

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

export const corrupt = (msg: string): TickstreamError =>
  new TickstreamError('CHECKPOINT_CORRUPT', `analytics snapshot: ${msg}`);

export class ByteWriter {
  private buf = new Uint8Array(1 << 16);
  private dv = new DataView(this.buf.buffer);
  private pos = 0;

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }

  u32(v: number): void {
    this.reserve(4);
    this.dv.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  f64(v: number): void {
    this.reserve(8);
    this.dv.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  u8(v: number): void {
    this.reserve(1);
    this.buf[this.pos++] = v;
  }

  /** a[from..to) as raw bytes, no length prefix: the reader must know the count (`f64sInto`). */
  f64Run(a: Float64Array, from: number, to: number): void {
    const n = (to - from) * 8;
    this.reserve(n);
    this.buf.set(new Uint8Array(a.buffer, a.byteOffset + from * 8, n), this.pos);
    this.pos += n;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  private raw(bytes: Uint8Array): void {
    this.u32(bytes.length);
    this.reserve(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  f64s(a: Float64Array): void {
    this.raw(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }

  i32s(a: Int32Array): void {
    this.raw(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }

  u8s(a: Uint8Array): void {
    this.raw(a);
  }

  str(s: string): void {
    this.raw(enc.encode(s));
  }

  json(v: unknown): void {
    this.str(JSON.stringify(v));
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

export class ByteReader {
  private readonly bytes: Uint8Array;
  private readonly dv: DataView;
  private pos = 0;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number): void {
    if (this.pos + n > this.bytes.length) throw corrupt(`truncated at byte ${this.pos} (need ${n})`);
  }

  u32(): number {
    this.need(4);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.dv.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  /** Reads n floats written by `f64Run` into target[offset..offset + n), without allocating. */
  f64sInto(target: Float64Array, offset: number, n: number): void {
    this.need(n * 8);
    new Uint8Array(target.buffer, target.byteOffset + offset * 8, n * 8).set(
      this.bytes.subarray(this.pos, this.pos + n * 8),
    );
    this.pos += n * 8;
  }

  private raw(unit: number): Uint8Array {
    const n = this.u32();
    if (n % unit !== 0) throw corrupt(`array byte length ${n} is not a multiple of ${unit}`);
    this.need(n);
    // slice copies into a fresh, aligned buffer
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  f64s(expectedLength?: number): Float64Array {
    const b = this.raw(8);
    const a = new Float64Array(b.buffer, 0, b.length / 8);
    if (expectedLength !== undefined && a.length !== expectedLength) {
      throw corrupt(`float array of ${a.length}, expected ${expectedLength}`);
    }
    return a;
  }

  i32s(): Int32Array {
    const b = this.raw(4);
    return new Int32Array(b.buffer, 0, b.length / 4);
  }

  u8s(expectedLength?: number): Uint8Array {
    const b = this.raw(1);
    if (expectedLength !== undefined && b.length !== expectedLength) {
      throw corrupt(`byte array of ${b.length}, expected ${expectedLength}`);
    }
    return b;
  }

  str(): string {
    try {
      return dec.decode(this.raw(1));
    } catch (e) {
      throw corrupt(`bad utf-8 string (${String(e)})`);
    }
  }

  json(): unknown {
    const s = this.str();
    try {
      return JSON.parse(s) as unknown;
    } catch (e) {
      throw corrupt(`bad JSON section (${String(e)})`);
    }
  }

  get done(): boolean {
    return this.pos === this.bytes.length;
  }
}
