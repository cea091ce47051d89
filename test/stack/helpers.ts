// Small helpers shared by the tests that drive real processes against the local stack.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { Admin } from '@platformatic/kafka';
import { hasApiId } from '../../src/bus/kafka/errors.ts';

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

export { deleteTopicsContaining } from '../../scripts/stack/topics.ts';

/**
 * Creates `topic` with time-based retention off, for tests whose records carry timestamps older than
 * the broker's 7-day retention. The broker's retention check (every 5 minutes) deletes such records,
 * and in CI it once did so between a test's send and its read ("kafkajs read 0 of 40"). The product's
 * own records carry the time they were produced, so only such tests need this. An existing topic is
 * left as it is.
 */
export const createTopicKeepingOldRecords = async (
  topic: string,
  partitions: number,
  broker = '127.0.0.1:9092',
): Promise<void> => {
  const admin = new Admin({ clientId: 'stack-test-topics', bootstrapBrokers: [broker] });
  try {
    await admin.createTopics({
      topics: [topic],
      partitions,
      replicas: -1,
      configs: [{ name: 'retention.ms', value: '-1' }],
    });
  } catch (e) {
    if (!hasApiId(e, 'TOPIC_ALREADY_EXISTS')) throw e;
  } finally {
    await admin.close().catch(() => undefined);
  }
};
