// One partition's segment files: `<dir>/<20-digit base offset>.log`, each a run of batch frames
// (batch-frame.ts) whose offsets continue from the previous file. The newest file is the active one;
// it rolls to a new file when the next write would take it past `segmentBytes`. Like Kafka, writes go to
// the page cache with no fsync unless `fsync` is set: a killed process loses nothing it was told was
// written, only a power loss can.
//
// Recovery reads the files in order into the in-memory log. An invalid frame at the end of the newest
// file with nothing valid after it is a torn write (kill -9 or power loss mid-write): it is truncated
// away with a warning. Anything else invalid (in an older file, or with valid frames after it, or a gap
// between files) is corruption and raises BusLogCorruptError naming the file: never silent loss.

import {
  closeSync,
  fdatasyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  truncateSync,
  unlinkSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { type KeyDecoder, type RecordVisitor, scanFrames, validFrameAfter } from './batch-frame.ts';
import { fsyncDir, writeFully } from './dir-files.ts';
import { BusLogCorruptError, busIoError } from './log-errors.ts';

export interface SegmentLogOptions {
  segmentBytes: number;
  fsync: boolean;
  log: (message: string) => void;
}

/** Where recovered records go: the partition's in-memory log. */
export interface RecoverySink {
  startAt(offset: number): void;
  readonly end: number;
  append(key: string, value: Uint8Array, timestamp: number): void;
}

const SEGMENT = /^(\d{20})\.log$/;

export const segmentName = (base: number): string => `${String(base).padStart(20, '0')}.log`;

export class SegmentLog {
  readonly dir: string;
  private readonly options: SegmentLogOptions;
  /** Base offsets of the segment files, ascending; the last is the active one. */
  private readonly bases: number[] = [];
  private fd = -1;
  /** Bytes in the active segment. */
  private size = 0;
  /** Set when a failed write could not be rolled back: the file's tail is unknown, so refuse to append. */
  private broken: unknown;

  constructor(dir: string, options: SegmentLogOptions) {
    this.dir = dir;
    this.options = options;
  }

  /** Segment base offsets on disk, oldest first (for tests and tools). */
  segments(): readonly number[] {
    return this.bases;
  }

  /** Loads every segment into `sink`; truncates a torn tail; throws BusLogCorruptError on corruption. */
  recover(sink: RecoverySink, keys: KeyDecoder): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // never written
      throw e;
    }
    const bases = names
      .map((n) => SEGMENT.exec(n)?.[1])
      .filter((b): b is string => b !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    const visit: RecordVisitor = (key, data, from, to, timestamp) =>
      sink.append(key, data.subarray(from, to), timestamp);
    for (let i = 0; i < bases.length; i++) {
      const base = bases[i]!;
      const path = join(this.dir, segmentName(base));
      if (i === 0) sink.startAt(base);
      else if (base !== sink.end) {
        throw new BusLogCorruptError(
          path,
          0,
          `starts at offset ${base} but the log before it ends at ${sink.end}`,
        );
      }
      const data = readFileSync(path);
      const scan = scanFrames(data, base, visit, keys);
      if (scan.problem !== undefined) {
        const last = i === bases.length - 1;
        if (!last || validFrameAfter(data, scan.validEnd + 1, scan.nextOffset - 1) >= 0) {
          throw new BusLogCorruptError(path, scan.validEnd, scan.problem);
        }
        truncateSync(path, scan.validEnd);
        this.options.log(
          `bus log ${path}: truncated a torn tail of ${data.length - scan.validEnd} bytes at byte ` +
            `${scan.validEnd} (${scan.problem}); the log continues at offset ${scan.nextOffset}`,
        );
      }
      this.bases.push(base);
      this.size = scan.validEnd;
    }
  }

  /** Appends one encoded batch whose first record has offset `base` (the log's end). */
  append(bytes: Uint8Array, length: number, base: number): void {
    if (this.broken !== undefined) throw busIoError(`bus log ${this.dir} failed earlier`, this.broken);
    if (this.fd < 0) this.openActive(base);
    if (this.size > 0 && this.size + length > this.options.segmentBytes) this.roll(base);
    try {
      writeFully(this.fd, bytes, length);
      if (this.options.fsync) fdatasyncSync(this.fd);
    } catch (e) {
      // Cut the partial frame off, so the next append does not land after garbage.
      try {
        ftruncateSync(this.fd, this.size);
      } catch (e2) {
        this.broken = e2;
      }
      throw busIoError(`write to bus log ${this.dir}`, e);
    }
    this.size += length;
  }

  /** Deletes segment files whose records are all below `start` (never the active one). */
  dropBelow(start: number): void {
    const bases = this.bases;
    while (bases.length > 1 && bases[1]! <= start) {
      const path = join(this.dir, segmentName(bases[0]!));
      try {
        unlinkSync(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
          this.options.log(`bus log ${path}: could not delete a retired segment: ${(e as Error).message}`);
        }
      }
      bases.shift();
    }
  }

  close(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    try {
      // A clean shutdown leaves nothing in the page cache only: survives a power loss right after.
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Opens the newest segment for appending after a (re)open, or creates the first one at `base`. */
  private openActive(base: number): void {
    const last = this.bases[this.bases.length - 1];
    try {
      if (last === undefined) {
        mkdirSync(this.dir, { recursive: true });
        this.create(base);
        if (this.options.fsync) {
          // The partition and topic directories may be new too.
          fsyncDir(dirname(this.dir));
          fsyncDir(dirname(dirname(this.dir)));
        }
      } else {
        this.fd = openSync(join(this.dir, segmentName(last)), 'a');
      }
    } catch (e) {
      throw busIoError(`open segment of bus log ${this.dir}`, e);
    }
  }

  /** Closes the active segment and starts a new one whose first record will be `base`. */
  private roll(base: number): void {
    try {
      if (this.options.fsync) fdatasyncSync(this.fd);
      closeSync(this.fd);
      this.fd = -1;
      this.create(base);
    } catch (e) {
      throw busIoError(`roll segment of bus log ${this.dir}`, e);
    }
  }

  private create(base: number): void {
    // 'ax': a file with this base already existing would mean two writers; fail instead of mixing.
    this.fd = openSync(join(this.dir, segmentName(base)), 'ax');
    this.bases.push(base);
    this.size = 0;
    if (this.options.fsync) fsyncDir(this.dir);
  }
}
