import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bar, formatProgress, humanCount, humanDuration, Progress } from './progress.ts';

const sink = (isTTY: boolean) => {
  const out: string[] = [];
  return { out, stream: { isTTY, columns: 100, write: (s: string) => out.push(s) > 0 } };
};

test('numbers and durations read naturally', () => {
  assert.deepEqual(
    [humanCount(999), humanCount(12_345), humanCount(2_500_000), humanCount(3e9)],
    ['999', '12.3k', '2.50M', '3.00G'],
  );
  assert.deepEqual(
    [humanDuration(42_000), humanDuration(185_000), humanDuration(3_720_000), humanDuration(Number.NaN)],
    ['42s', '3m05s', '1h02m', '?'],
  );
  assert.equal(bar(0.5, 10), '[#####.....]');
  assert.equal(bar(2, 4), '[####]');
});

test('percent, rate and ETA from done, total and elapsed time', () => {
  // 250k of 1M in 10 s: 25%, 25k/s, 750k left → 30 s.
  assert.equal(
    formatProgress({ done: 250_000, total: 1_000_000, elapsedMs: 10_000, unit: 'trades', label: 'replay' }),
    'replay  25.0%  250.0k/1.00M trades  25.0k trades/s  ETA 30s',
  );
  assert.equal(
    formatProgress({ done: 500, elapsedMs: 2000, unit: 'fills', label: '' }),
    '500 fills  250 fills/s  elapsed 2s',
  );
});

test('on a terminal it redraws in place at most every redrawMs', () => {
  let t = 0;
  const { out, stream } = sink(true);
  const p = new Progress({ total: 100, unit: 'x', stream, now: () => t, redrawMs: 100 });
  for (let i = 1; i <= 100; i++) {
    t += 10; // 10 ms per update: 1000 ms in all → at most ~10 redraws
    p.update(i);
  }
  p.finish();
  assert.ok(out.length >= 9 && out.length <= 12, String(out.length));
  assert.ok(out.every((s) => s.startsWith('\r')));
  assert.ok(out.at(-1)?.includes('100.0%') && out.at(-1)?.endsWith('\n'));
  assert.ok(out.at(-1)?.includes('[####'), 'bar drawn');
});

test('without a terminal it writes plain periodic lines', () => {
  let t = 0;
  const { out, stream } = sink(false);
  const p = new Progress({ unit: 'trades', stream, now: () => t, plainEveryMs: 1000 });
  for (let i = 0; i < 50; i++) {
    t += 100;
    p.add(10);
  }
  p.finish();
  p.finish();
  assert.equal(out.length, 6, '5 periodic lines + the final one, once');
  assert.ok(out.every((s) => s.endsWith('\n') && !s.includes('\r') && !s.includes('\x1b')));
  assert.ok(out.at(-1)?.startsWith('500 trades'));
});
