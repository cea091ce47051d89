// A tiny binary writer/reader for snapshots of this folder: little-endian, length-checked, no JSON on the
// paths that may hold millions of entries. A truncated or malformed snapshot raises CHECKPOINT_CORRUPT
// instead of a RangeError deep inside a restore.
import { TickstreamError } from '../domain/errors.ts';

const corrupt = (what: string): TickstreamError =>
  new TickstreamError('CHECKPOINT_CORRUPT', `portfolio snapshot corrupt: ${what}`);

export class BinWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initial = 1024) {
    this.buf = new Uint8Array(Math.max(16, initial));
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u32(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
    return this;
  }

  f64(v: number): this {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
    return this;
  }

  /** Raw bytes with a length prefix (f64 so sections above 4 GiB are representable). */
  bytes(b: Uint8Array): this {
    this.f64(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  f64s(a: Float64Array): this {
    return this.bytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }

  string(s: string): this {
    return this.bytes(new TextEncoder().encode(s));
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

export class BinReader {
  private readonly buf: Uint8Array;
  private readonly view: DataView;
  private pos = 0;

  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private need(n: number, what: string): void {
    if (!(n >= 0) || this.pos + n > this.buf.length) throw corrupt(`truncated at ${what}`);
  }

  u32(what = 'u32'): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(what = 'f64'): number {
    this.need(8, what);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A length-prefixed byte section (a view into the input, not a copy). */
  bytes(what = 'bytes'): Uint8Array {
    const n = this.f64(what);
    if (!Number.isSafeInteger(n)) throw corrupt(`bad length at ${what}`);
    this.need(n, what);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** A length-prefixed Float64Array of exactly `expected` elements (copied, so alignment does not matter). */
  f64s(expected: number, what = 'f64s'): Float64Array {
    const b = this.bytes(what);
    if (b.length !== expected * 8) throw corrupt(`${what}: ${b.length} bytes, expected ${expected * 8}`);
    const out = new Float64Array(expected);
    new Uint8Array(out.buffer).set(b);
    return out;
  }

  string(what = 'string'): string {
    return new TextDecoder('utf-8', { fatal: true }).decode(this.bytes(what));
  }

  end(): void {
    if (this.pos !== this.buf.length) throw corrupt(`${this.buf.length - this.pos} trailing bytes`);
  }
}

export const checkpointCorrupt = corrupt;

/** Snapshots copy Float64Array memory as is; they are defined as little-endian, which is every platform Node ships on. */
export const assertLittleEndian = (): void => {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new TickstreamError('CONFIG_INVALID', 'portfolio snapshots need a little-endian platform');
  }
};
