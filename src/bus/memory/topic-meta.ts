// Topic metadata of the durable bus: `topics.json` with each topic's partition count, replaced atomically
// when a topic is created, and the directory name of each topic.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TickstreamError } from '../../domain/errors.ts';
import { writeFileAtomic } from './dir-files.ts';
import { BusLogCorruptError } from './log-errors.ts';

export const TOPICS_FILE = 'topics.json';

export interface TopicMeta {
  name: string;
  partitions: number;
}

/**
 * A file-system-safe directory name for a topic: letters, digits, '-' and '_' as they are, every other
 * UTF-16 unit as '%' + 4 hex digits. Injective, so two topics never share a directory, and '.'/'..' or a
 * '/' in a name cannot escape the bus directory.
 */
export const topicDirName = (topic: string): string => {
  let out = '';
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    const plain =
      (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 95;
    out += plain ? topic[i] : `%${c.toString(16).padStart(4, '0')}`;
  }
  // Most file systems cap a name at 255 bytes.
  if (out.length > 240) {
    throw new TickstreamError('VALIDATION_FAILED', `topic name too long for the durable bus: ${topic}`);
  }
  return out;
};

export const readTopics = (dir: string): TopicMeta[] => {
  const path = join(dir, TOPICS_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const bad = (why: string): BusLogCorruptError => new BusLogCorruptError(path, 0, why);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  const topics = (parsed as { version?: unknown; topics?: unknown }).topics;
  if ((parsed as { version?: unknown }).version !== 1 || !Array.isArray(topics)) throw bad('unknown shape');
  const seen = new Set<string>();
  return topics.map((t: unknown) => {
    const { name, partitions } = (t ?? {}) as { name?: unknown; partitions?: unknown };
    if (typeof name !== 'string' || name.length === 0 || seen.has(name)) throw bad(`bad topic name ${name}`);
    if (!(Number.isSafeInteger(partitions) && (partitions as number) >= 1)) {
      throw bad(`bad partition count for ${name}`);
    }
    seen.add(name);
    return { name, partitions: partitions as number };
  });
};

export const writeTopics = (dir: string, topics: readonly TopicMeta[]): void => {
  writeFileAtomic(
    dir,
    TOPICS_FILE,
    `${JSON.stringify({ version: 1, topics: topics.map((t) => ({ name: t.name, partitions: t.partitions })) })}\n`,
  );
};
