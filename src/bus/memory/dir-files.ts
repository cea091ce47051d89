// Small-file helpers of the durable bus directory: atomic replace (temp + fsync + rename + fsync of the
// directory), writes that never leave a short write behind, and a lock file so two processes never
// append to the same logs.

import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { TickstreamError } from '../../domain/errors.ts';

/** fsync of a directory makes a rename or a new file in it survive power loss (Linux; no-op elsewhere). */
export const fsyncDir = (dir: string): void => {
  let fd = -1;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms cannot open or fsync a directory; the rename itself is still atomic.
  } finally {
    if (fd >= 0) closeSync(fd);
  }
};

/** Replaces `path` with `data` so a reader sees the old or the new content, never a mix. */
export const writeFileAtomic = (dir: string, name: string, data: Uint8Array | string): void => {
  const path = join(dir, name);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(dir);
};

/** writeSync until every byte is written (a write to a file may be short, e.g. on a signal or a full disk). */
export const writeFully = (fd: number, bytes: Uint8Array, length: number): void => {
  let done = 0;
  while (done < length) done += writeSync(fd, bytes, done, length - done, null);
};

/** Directories locked by this process (a stale lock holding our own pid is from a previous life). */
const lockedHere = new Set<string>();

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Takes `dir/.lock` (holding our pid). A lock whose pid is dead, or is ours but not held by this process
 * (a container restarting with the same pid), is stale and taken over; a live holder is refused.
 */
export const lockDir = (dir: string): (() => void) => {
  const path = join(dir, '.lock');
  if (lockedHere.has(dir)) {
    throw new TickstreamError('BUS_UNAVAILABLE', `bus directory ${dir} is already open in this process`, {
      retryable: false,
    });
  }
  // Exclusive create first, so two processes starting together cannot both take a fresh directory.
  try {
    writeFileSync(path, String(process.pid), { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
      throw new TickstreamError(
        'BUS_UNAVAILABLE',
        `bus directory ${dir} is in use by process ${holder} (remove ${path} if that is wrong)`,
        { retryable: false },
      );
    }
    writeFileSync(path, String(process.pid));
  }
  lockedHere.add(dir);
  return () => {
    lockedHere.delete(dir);
    try {
      unlinkSync(path);
    } catch {
      // Already gone: nothing to release.
    }
  };
};
