// Committed offsets of the durable bus: an append-only log `offsets.log` of (group, topic, partition,
// offset) entries, the last entry per key winning, as Kafka's __consumer_offsets topic. A commit is one
// small write (processors commit about once a second per partition); the file is rewritten as a
// snapshot (atomically) on open and whenever it has grown by `compactEvery` entries.
//
//   entry  u32 bodyLength | u32 crc32(body) | body
//   body   u32 magic "TSC1" | u32 partition | f64 offset | u32 groupLength | u32 topicLength | group | topic
//
// A torn last entry is dropped with a warning; an invalid entry followed by valid ones is corruption.

import { closeSync, fdatasyncSync, ftruncateSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { writeFileAtomic, writeFully } from './dir-files.ts';
import { BusLogCorruptError, busIoError } from './log-errors.ts';

export const COMMIT_FILE = 'offsets.log';
const MAGIC = 0x31435354; // "TSC1"
const PREFIX = 8;
const BODY_HEADER = 24;

export interface CommitEntry {
  group: string;
  topic: string;
  partition: number;
  offset: number;
}

export interface CommitLogOptions {
  fsync: boolean;
  log: (message: string) => void;
  /** Entries appended before the file is rewritten as a snapshot (default 100,000). */
  compactEvery?: number;
}

/** Encodes entries into a growing buffer (reused for single commits). */
class EntryWriter {
  bytes = Buffer.allocUnsafe(4096);
  length = 0;

  add(e: CommitEntry): void {
    const need = this.length + PREFIX + BODY_HEADER + (e.group.length + e.topic.length) * 3;
    if (need > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.bytes.length * 2));
      this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    }
    const b = this.bytes;
    const at = this.length;
    const body = at + PREFIX;
    const g = b.write(e.group, body + BODY_HEADER, 'utf8');
    const t = b.write(e.topic, body + BODY_HEADER + g, 'utf8');
    b.writeUInt32LE(MAGIC, body);
    b.writeUInt32LE(e.partition, body + 4);
    b.writeDoubleLE(e.offset, body + 8);
    b.writeUInt32LE(g, body + 16);
    b.writeUInt32LE(t, body + 20);
    const end = body + BODY_HEADER + g + t;
    b.writeUInt32LE(end - body, at);
    b.writeUInt32LE(crc32(b.subarray(body, end)), at + 4);
    this.length = end;
  }
}

/** The entry at `at`, or why it is invalid. */
const readEntry = (data: Buffer, at: number): { entry: CommitEntry; end: number } | string => {
  if (data.length - at < PREFIX + BODY_HEADER) return 'partial entry header';
  const length = data.readUInt32LE(at);
  const body = at + PREFIX;
  if (length < BODY_HEADER || data.readUInt32LE(body) !== MAGIC) return 'bad entry header';
  const end = body + length;
  if (end > data.length) return 'partial entry';
  if (crc32(data.subarray(body, end)) !== data.readUInt32LE(at + 4)) return 'CRC mismatch';
  const g = data.readUInt32LE(body + 16);
  const t = data.readUInt32LE(body + 20);
  const offset = data.readDoubleLE(body + 8);
  if (BODY_HEADER + g + t !== length || !(Number.isSafeInteger(offset) && offset >= 0)) {
    return 'inconsistent entry';
  }
  const s = body + BODY_HEADER;
  return {
    entry: {
      group: data.toString('utf8', s, s + g),
      topic: data.toString('utf8', s + g, s + g + t),
      partition: data.readUInt32LE(body + 4),
      offset,
    },
    end,
  };
};

export class CommitLog {
  private readonly dir: string;
  private readonly path: string;
  private readonly options: CommitLogOptions;
  private readonly snapshot: () => Iterable<CommitEntry>;
  private readonly writer = new EntryWriter();
  private readonly entry: CommitEntry = { group: '', topic: '', partition: 0, offset: 0 };
  private fd = -1;
  private size = 0;
  private sinceCompaction = 0;
  private broken: unknown;

  /**
   * Loads the committed offsets (passing each latest entry to `load`), then rewrites the file as a
   * snapshot. `snapshot` gives the current committed offsets when the log is compacted later.
   */
  static open(
    dir: string,
    options: CommitLogOptions,
    load: (e: CommitEntry) => void,
    snapshot: () => Iterable<CommitEntry>,
  ): CommitLog {
    const path = join(dir, COMMIT_FILE);
    let data: Buffer;
    try {
      data = readFileSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      data = Buffer.alloc(0);
    }
    const latest = new Map<string, CommitEntry>();
    let at = 0;
    while (at < data.length) {
      const r = readEntry(data, at);
      if (typeof r === 'string') {
        for (let q = at + 1; q + PREFIX + BODY_HEADER <= data.length; q++) {
          if (data.readUInt32LE(q + PREFIX) === MAGIC && typeof readEntry(data, q) !== 'string') {
            throw new BusLogCorruptError(path, at, r);
          }
        }
        options.log(`bus commit log ${path}: dropped a torn tail of ${data.length - at} bytes (${r})`);
        break;
      }
      const e = r.entry;
      latest.set(JSON.stringify([e.group, e.topic, e.partition]), e);
      at = r.end;
    }
    for (const e of latest.values()) load(e);
    const log = new CommitLog(dir, options, snapshot);
    log.compact();
    return log;
  }

  private constructor(dir: string, options: CommitLogOptions, snapshot: () => Iterable<CommitEntry>) {
    this.dir = dir;
    this.path = join(dir, COMMIT_FILE);
    this.options = options;
    this.snapshot = snapshot;
  }

  /** Persists one commit; the caller updates its in-memory offsets only after this returned. */
  append(group: string, topic: string, partition: number, offset: number): void {
    if (this.broken !== undefined) throw busIoError(`commit log ${this.path} failed earlier`, this.broken);
    const w = this.writer;
    const e = this.entry;
    e.group = group;
    e.topic = topic;
    e.partition = partition;
    e.offset = offset;
    w.length = 0;
    w.add(e);
    try {
      writeFully(this.fd, w.bytes, w.length);
      if (this.options.fsync) fdatasyncSync(this.fd);
    } catch (err) {
      try {
        ftruncateSync(this.fd, this.size);
      } catch (err2) {
        this.broken = err2;
      }
      throw busIoError(`write to commit log ${this.path}`, err);
    }
    this.size += w.length;
    if (++this.sinceCompaction >= (this.options.compactEvery ?? 100_000)) this.compact();
  }

  /** Rewrites the file as one entry per committed key (temp file + rename), then appends to it. */
  compact(): void {
    const w = new EntryWriter();
    for (const e of this.snapshot()) w.add(e);
    try {
      if (this.fd >= 0) closeSync(this.fd);
      this.fd = -1;
      writeFileAtomic(this.dir, COMMIT_FILE, w.bytes.subarray(0, w.length));
      this.fd = openSync(this.path, 'a');
    } catch (e) {
      this.broken = e;
      throw busIoError(`compact commit log ${this.path}`, e);
    }
    this.size = w.length;
    this.sinceCompaction = 0;
  }

  close(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    try {
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
