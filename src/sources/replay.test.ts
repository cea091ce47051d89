import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isTickstreamError } from '../domain/errors.ts';
import type { Trade } from '../domain/types.ts';
import { Universe } from '../domain/universe.ts';
import { ManualClock } from './pacing.ts';
import {
  type ReplayBatch,
  type ReplayOptions,
  type ReplayReject,
  replayFile,
  replayStream,
} from './replay.ts';

async function* chunks(text: string, size = 7): AsyncGenerator<Buffer> {
  const b = Buffer.from(text);
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

const run = async (text: string, opts: ReplayOptions = {}, chunkSize = 7) => {
  const batches: ReplayBatch[] = [];
  for await (const b of replayStream(chunks(text, chunkSize), Buffer.byteLength(text), opts)) batches.push(b);
  const trades: Trade[] = batches.flatMap((b) => b.trades);
  const rejects: ReplayReject[] = batches.flatMap((b) => b.rejects);
  return { batches, trades, rejects };
};

const T0 = Date.UTC(2024, 0, 2, 14, 30); // 09:30 New York

test('CSV with ISO, epoch-ms and TAQ times, CRLF, a BOM and blank lines', async () => {
  const tape = [
    '\uFEFFtime,symbol,size,price',
    '2024-01-02T14:30:00.000Z,AAPL,100,190.5',
    '',
    '1704205800250,MSFT,50,410.25',
    '093000500,JPM,200,195',
    '09:30:00.750123,XOM,10,115.01',
    '2024-01-02T09:30:01,AAPL,300,190.55',
  ].join('\r\n');
  const { trades, rejects } = await run(`${tape}\r\n`, { date: '2024-01-02' });
  assert.deepEqual(rejects, []);
  assert.deepEqual(
    trades.map((t) => [t.symbol, t.time - T0, t.size, t.price, t.seq]),
    [
      ['AAPL', 0, 100, 190.5, 2],
      ['MSFT', 250, 50, 410.25, 4],
      ['JPM', 500, 200, 195, 5],
      ['XOM', 750, 10, 115.01, 6],
      ['AAPL', 1000, 300, 190.55, 7],
    ],
  );
});

test('TAQ extract columns: DATE, TIME_M, SYM_ROOT + SYM_SUFFIX, TR_SCOND, TR_SEQNUM', async () => {
  const tape = [
    'DATE,TIME_M,EX,SYM_ROOT,SYM_SUFFIX,TR_SCOND,SIZE,PRICE,TR_SEQNUM',
    '20240102,9:30:00.012345678,N,BRK,B,"@ I",37,362.1,1001',
    '20240702,09:30:00.000000000,Q,AAPL,,@,100,215,1002',
  ].join('\n');
  const { trades, rejects } = await run(tape);
  assert.deepEqual(rejects, []);
  assert.deepEqual(trades[0], {
    symbol: 'BRK.B',
    price: 362.1,
    size: 37,
    time: Date.UTC(2024, 0, 2, 14, 30, 0, 12),
    conditions: ['@', 'I'],
    seq: 1001,
  });
  assert.equal(trades[1]?.time, Date.UTC(2024, 6, 2, 13, 30), 'summer: EDT');
});

test('JSON lines; seq defaults to the line number', async () => {
  const tape = [
    '{"symbol":"AAPL","price":190,"size":5,"time":1704205800000}',
    '{"symbol":"MSFT","price":410,"size":7,"time":"2024-01-02T14:30:01Z","seq":99,"conditions":["1"]}',
  ].join('\n');
  const { trades, rejects } = await run(tape);
  assert.deepEqual(rejects, []);
  assert.deepEqual(
    trades.map((t) => [t.symbol, t.seq, t.time, t.conditions]),
    [
      ['AAPL', 1, T0, []],
      ['MSFT', 99, T0 + 1000, ['1']],
    ],
  );
});

test('bad lines become rejects with line number, raw text and reason; counts reconcile', async () => {
  const lines = [
    'time,symbol,size,price', // 1 header
    '1704205800000,AAPL,100,190', // 2 ok
    '1704205800000,AAPL,-5,190', // 3 non_positive
    '1704205800000,AAPL,100,NaN', // 4 invalid_field (not a decimal)
    '1704205800,AAPL,100,190', // 5 bad_timestamp (seconds)
    '1704205800000,AAPL', // 6 unknown_shape (too few fields)
    '1704205800000,ZZZZ,100,190', // 7 unknown_symbol (universe given)
    '1704205800000,AAPL,100,190,"open', // 8 decode_error (unclosed quote)
    `1704205800000,AAPL,100,${'9'.repeat(300)}`, // 9 oversized
    '1704205800000,AAPL,100,1e999', // 10 non_finite
    '', // 11 blank
    '1704205800001,MSFT,1,410', // 12 ok
  ];
  const { trades, rejects } = await run(lines.join('\n'), {
    universe: Universe.default(),
    maxLineBytes: 200,
  });
  assert.deepEqual(
    rejects.map((r) => [r.line, r.reason]),
    [
      [3, 'non_positive'],
      [4, 'invalid_field'],
      [5, 'bad_timestamp'],
      [6, 'unknown_shape'],
      [7, 'unknown_symbol'],
      [8, 'decode_error'],
      [9, 'oversized'],
      [10, 'non_finite'],
    ],
  );
  assert.equal(rejects[0]?.raw, lines[2]);
  assert.ok(rejects.every((r) => r.detail.length > 0));
  assert.equal(trades.length, 2);
  const dataLines = lines.slice(1).filter((l) => l !== '').length;
  assert.equal(trades.length + rejects.length, dataLines);
});

test('bad JSON lines are rejected, not thrown', async () => {
  const tape = [
    '{"symbol":"AAPL"',
    '{"symbol":"A","price":1,"size":1,"time":1704205800000,"x":1}',
    '[1]',
    'null',
  ].join('\n');
  const { trades, rejects } = await run(tape, { format: 'jsonl' });
  assert.equal(trades.length, 0);
  assert.deepEqual(
    rejects.map((r) => [r.line, r.reason]),
    [
      [1, 'decode_error'],
      [2, 'unknown_shape'],
      [3, 'unknown_shape'],
      [4, 'unknown_shape'],
    ],
  );
});

test('a header without the required columns is a SOURCE_FAILED error', async () => {
  await assert.rejects(run('when,what\n1,2\n'), (e) => isTickstreamError(e, 'SOURCE_FAILED'));
});

test('batches respect batchSize and report progress in bytes', async () => {
  const body = Array.from({ length: 2500 }, (_, i) => `${T0 + i},AAPL,1,190`).join('\n');
  const text = `time,symbol,size,price\n${body}\n`;
  const { batches, trades } = await run(text, { batchSize: 1000 }, 4096);
  assert.equal(trades.length, 2500);
  assert.ok(batches.every((b) => b.trades.length <= 1000));
  assert.equal(batches.at(-1)?.bytesRead, Buffer.byteLength(text));
  assert.equal(batches.at(-1)?.totalBytes, Buffer.byteLength(text));
});

const paced = async (speed: number | 'max', maxWaitMs?: number) => {
  // Trades at 0 s, 1 s, 1 s, 3 s and, after an hour's gap, 3603 s.
  const times = [0, 1000, 1000, 3000, 3_603_000];
  const text = `time,symbol,size,price\n${times.map((t) => `${T0 + t},AAPL,1,190`).join('\n')}\n`;
  const clock = new ManualClock(0);
  const emitted: number[] = [];
  for await (const b of replayStream(chunks(text, 4096), 0, { speed, clock, maxWaitMs })) {
    for (const t of b.trades) {
      emitted.push(clock.now());
      assert.ok(t.time >= T0);
    }
  }
  return { clock, emitted };
};

test('pacing: 1x waits out the tape gaps, 10x a tenth of them, max none', async () => {
  const one = await paced(1);
  assert.deepEqual(one.emitted, [0, 1000, 1000, 3000, 3_603_000]);
  const ten = await paced(10);
  assert.deepEqual(ten.emitted, [0, 100, 100, 300, 360_300]);
  const max = await paced('max');
  assert.deepEqual(max.emitted, [0, 0, 0, 0, 0]);
  assert.deepEqual(max.clock.sleeps, []);
  const skip = await paced(1, 60_000);
  assert.deepEqual(skip.emitted, [0, 1000, 1000, 3000, 3000], 'the hour-long gap is skipped');
});

test('replayFile streams a file larger than one read chunk', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'replay-'));
  try {
    const path = join(dir, 'tape.csv');
    const n = 6000; // ~200 KB: several 64 KiB chunks, lines straddling chunk edges
    const rows = Array.from(
      { length: n },
      (_, i) => `2024-01-02T14:30:${String(i % 60).padStart(2, '0')}.000Z,MSFT,${i + 1},410.${i % 100}`,
    );
    writeFileSync(path, `time,symbol,size,price\n${rows.join('\n')}\n`);
    let count = 0;
    let sizeSum = 0;
    let last: ReplayBatch | undefined;
    for await (const b of replayFile(path, { batchSize: 500 })) {
      count += b.trades.length;
      for (const t of b.trades) sizeSum += t.size;
      assert.equal(b.rejects.length, 0);
      last = b;
    }
    assert.equal(count, n);
    assert.equal(sizeSum, (n * (n + 1)) / 2);
    assert.equal(last?.bytesRead, last?.totalBytes);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
