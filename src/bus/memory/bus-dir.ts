// The durable bus's directory:
//   <dir>/.lock                         pid of the process that has it open
//   <dir>/topics.json                   topic names and partition counts (atomic rewrite)
//   <dir>/offsets.log                   committed offsets per group (append-only, compacted)
//   <dir>/<topic>/<partition>/<base>.log  segment files of each partition (segment-log.ts)

import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type CommitEntry, CommitLog } from './commit-log.ts';
import { lockDir } from './dir-files.ts';
import { SegmentLog, type SegmentLogOptions } from './segment-log.ts';
import { readTopics, type TopicMeta, topicDirName, writeTopics } from './topic-meta.ts';

export interface BusDirectoryOptions extends SegmentLogOptions {
  dir: string;
  commitCompactEvery?: number;
}

export class BusDirectory {
  readonly dir: string;
  private readonly options: BusDirectoryOptions;
  private readonly topics: TopicMeta[];
  private readonly logs = new Map<string, SegmentLog[]>();
  private commits: CommitLog | undefined;
  private release: (() => void) | undefined;

  /** Creates the directory if needed, takes its lock and reads the topic list. */
  static open(options: BusDirectoryOptions): BusDirectory {
    const dir = resolve(options.dir);
    mkdirSync(dir, { recursive: true });
    const release = lockDir(dir);
    try {
      return new BusDirectory(dir, options, readTopics(dir), release);
    } catch (e) {
      release();
      throw e;
    }
  }

  private constructor(dir: string, options: BusDirectoryOptions, topics: TopicMeta[], release: () => void) {
    this.dir = dir;
    this.options = options;
    this.topics = topics;
    this.release = release;
  }

  /** Topics found on disk at open. */
  storedTopics(): readonly TopicMeta[] {
    return this.topics;
  }

  /** Records a new topic in topics.json (before it is used) and returns its partitions' logs. */
  addTopic(name: string, partitions: number): SegmentLog[] {
    topicDirName(name); // validate before writing anything
    writeTopics(this.dir, [...this.topics, { name, partitions }]);
    this.topics.push({ name, partitions });
    return this.partitionLogs(name, partitions);
  }

  /** The segment logs of a topic's partitions (created on first use; files appear on first append). */
  partitionLogs(name: string, partitions: number): SegmentLog[] {
    let logs = this.logs.get(name);
    if (logs === undefined) {
      const topicDir = join(this.dir, topicDirName(name));
      logs = Array.from(
        { length: partitions },
        (_, p) => new SegmentLog(join(topicDir, String(p)), this.options),
      );
      this.logs.set(name, logs);
    }
    return logs;
  }

  openCommits(load: (e: CommitEntry) => void, snapshot: () => Iterable<CommitEntry>): void {
    const compactEvery = this.options.commitCompactEvery;
    this.commits = CommitLog.open(
      this.dir,
      {
        fsync: this.options.fsync,
        log: this.options.log,
        ...(compactEvery === undefined ? {} : { compactEvery }),
      },
      load,
      snapshot,
    );
  }

  commit(group: string, topic: string, partition: number, offset: number): void {
    this.commits?.append(group, topic, partition, offset);
  }

  /** Flushes and closes every file and releases the lock; idempotent. Throws the first failure after trying all. */
  close(): void {
    if (this.release === undefined) return;
    let failure: unknown;
    const attempt = (fn: () => void): void => {
      try {
        fn();
      } catch (e) {
        failure ??= e;
      }
    };
    for (const logs of this.logs.values()) for (const log of logs) attempt(() => log.close());
    if (this.commits !== undefined) attempt(() => this.commits!.close());
    this.release();
    this.release = undefined;
    if (failure !== undefined) throw failure;
  }
}
