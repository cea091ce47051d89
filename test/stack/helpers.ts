// Small helpers shared by the tests that drive real processes against the local stack.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';

/** Resolves with the exit code (null when killed by a signal), also for a process that already ended. */
export const exited = (p: ChildProcess): Promise<number | null> =>
  p.exitCode !== null || p.signalCode !== null
    ? Promise.resolve(p.exitCode)
    : new Promise((r) => p.once('exit', (code) => r(code)));

/** Polls `fn` until it holds; fails the test after `ms`. */
export const until = async (
  what: string,
  fn: () => Promise<boolean>,
  ms: number,
  everyMs = 250,
): Promise<void> => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  assert.fail(`timed out waiting for ${what}`);
};
