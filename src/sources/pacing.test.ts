import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock, Pacer } from './pacing.ts';

test('delay is the scaled event gap minus the wall time already elapsed', () => {
  const p = new Pacer(1_000_000, 50, 1);
  assert.equal(p.delayMs(1_000_000, 50), 0);
  assert.equal(p.delayMs(1_000_500, 50), 500);
  assert.equal(p.delayMs(1_000_500, 350), 200);
  assert.equal(p.delayMs(1_000_500, 600), -50, 'late: due now');
  const fast = new Pacer(0, 0, 10);
  assert.equal(fast.delayMs(10_000, 0), 1000, '10 s of tape in 1 s at 10x');
  assert.equal(fast.delayMs(10_000, 400), 600);
});

test('max speed never waits; bad speeds are refused', () => {
  const p = new Pacer(0, 0, Number.POSITIVE_INFINITY);
  assert.equal(p.delayMs(1e12, 0), 0);
  assert.throws(() => new Pacer(0, 0, 0), RangeError);
  assert.throws(() => new Pacer(0, 0, -1), RangeError);
});

test('gaps longer than maxWaitMs are skipped and later gaps keep their spacing', () => {
  const p = new Pacer(0, 0, 1, 5000);
  assert.equal(p.delayMs(3000, 0), 3000);
  assert.equal(p.delayMs(3_600_000, 3000), 0, 'an hour-long gap is skipped');
  assert.equal(p.delayMs(3_601_000, 3000), 1000, 'the next second is paced again from the new anchor');
});

test('the manual clock advances on sleep without waiting', async () => {
  const c = new ManualClock(10);
  await c.sleep(25);
  assert.equal(c.now(), 35);
  assert.deepEqual(c.sleeps, [25]);
});
