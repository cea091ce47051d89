// Splits a byte stream into lines with a bound on line length, chunk by chunk.
//
// node:readline buffers a line of any length, so one 2 GB line without a newline would exhaust memory.
// Here a line longer than `maxLineBytes` is reported as oversized (with a short prefix for the
// deadletter) and its remaining bytes are skipped up to the next newline. LF and CRLF both end a line;
// a UTF-8 BOM at the start of the stream is dropped. Blank lines are reported too (the caller counts
// and skips them) so that line numbers stay those a text editor shows.
import { Buffer } from 'node:buffer';

const LF = 0x0a;
const CR = 0x0d;
/** Bytes of an oversized line kept for the deadletter record. */
export const OVERSIZED_PREFIX_BYTES = 256;

/** A UTF-8 BOM decodes to U+FEFF; it may open the first line only. */
const stripBom = (text: string, firstLine: boolean): string =>
  firstLine && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;

export interface Line {
  /** 1-based line number. */
  no: number;
  /** The line without its terminator (a prefix of it when oversized). */
  text: string;
  oversized: boolean;
}

export class LineSplitter {
  private readonly maxLineBytes: number;
  private parts: Buffer[] = [];
  private partBytes = 0;
  private oversized = false;
  private prefix = '';
  private lineNo = 0;

  constructor(maxLineBytes: number) {
    if (!(maxLineBytes >= 1)) throw new RangeError(`maxLineBytes must be >= 1, got ${maxLineBytes}`);
    this.maxLineBytes = maxLineBytes;
  }

  /** Feeds one chunk; calls `emit` for every line it completes. */
  push(chunk: Uint8Array, emit: (line: Line) => void): void {
    const buf = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let pos = 0;
    while (pos < buf.length) {
      const nl = buf.indexOf(LF, pos);
      if (nl >= 0 && this.partBytes === 0 && !this.oversized) {
        // Fast path: the whole line lies in this chunk, decode it in place without copying.
        this.lineNo++;
        const end = nl > pos && buf[nl - 1] === CR ? nl - 1 : nl;
        this.emitText(buf, pos, end, emit);
        pos = nl + 1;
        continue;
      }
      this.append(buf, pos, nl < 0 ? buf.length : nl);
      if (nl < 0) break;
      this.finishLine(emit);
      pos = nl + 1;
    }
  }

  /** Flushes a last line that has no terminating newline. */
  end(emit: (line: Line) => void): void {
    if (this.partBytes > 0 || this.oversized) this.finishLine(emit);
  }

  private append(buf: Buffer, start: number, end: number): void {
    if (this.oversized) return;
    const n = end - start;
    // +1 allows the CR of a CRLF that is stripped later, so the bound applies to the text itself.
    if (this.partBytes + n > this.maxLineBytes + 1) {
      const have = Buffer.concat([
        ...this.parts,
        buf.subarray(start, Math.min(end, start + OVERSIZED_PREFIX_BYTES)),
      ]);
      this.prefix = stripBom(have.subarray(0, OVERSIZED_PREFIX_BYTES).toString('utf8'), this.lineNo === 0);
      this.oversized = true;
      this.parts = [];
      this.partBytes = 0;
      return;
    }
    // Copy: the caller may reuse the chunk's memory after push returns.
    if (n > 0) {
      this.parts.push(Buffer.from(buf.subarray(start, end)));
      this.partBytes += n;
    }
  }

  private finishLine(emit: (line: Line) => void): void {
    this.lineNo++;
    if (this.oversized) {
      emit({ no: this.lineNo, text: this.prefix, oversized: true });
      this.oversized = false;
      this.prefix = '';
      return;
    }
    const b = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.partBytes);
    this.parts = [];
    this.partBytes = 0;
    this.emitText(b, 0, b.length > 0 && b[b.length - 1] === CR ? b.length - 1 : b.length, emit);
  }

  private emitText(b: Buffer, start: number, end: number, emit: (line: Line) => void): void {
    if (end - start > this.maxLineBytes) {
      const text = b.toString('utf8', start, Math.min(end, start + OVERSIZED_PREFIX_BYTES));
      emit({ no: this.lineNo, text: stripBom(text, this.lineNo === 1), oversized: true });
      return;
    }
    emit({
      no: this.lineNo,
      text: stripBom(b.toString('utf8', start, end), this.lineNo === 1),
      oversized: false,
    });
  }
}
