// The durable MemoryBus: what survives a close and reopen, a kill -9, a torn tail, corruption, retention.
// Expected values are computed from what the test sent (partitionFor for keyed records), never read back
// from the bus under test.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { MemoryBus } from '../src/bus/index.ts';
import { BusLogCorruptError, type DurableBusOptions } from '../src/bus/memory/index.ts';
import { partitionFor } from '../src/bus/partitioner.ts';
import type { BusRecord, ProduceRecord } from '../src/bus/port.ts';
import { isTickstreamError } from '../src/domain/errors.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

const dirs: string[] = [];
const freshDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'tickstream-bus-durable-'));
  dirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Opens a durable bus collecting its warnings. */
const open = async (dir: string, extra: Partial<DurableBusOptions> = {}) => {
  const warnings: string[] = [];
  const bus = await MemoryBus.open({ dir, log: (m) => warnings.push(m), ...extra });
  return { bus, warnings };
};

/** Every retained record of a topic, per partition in offset order, read by a fresh group. */
const readAll = async (bus: MemoryBus, topic: string): Promise<BusRecord[][]> => {
  const starts = await bus.startOffsets(topic);
  const ends = await bus.endOffsets(topic);
  const want = ends.reduce((s, e, p) => s + e - starts[p]!, 0);
  const out: BusRecord[][] = ends.map(() => []);
  const c = bus.consumer({ group: `read-all-${Math.random()}`, topics: [topic], maxBatch: 10_000 });
  const it = c.batches()[Symbol.asyncIterator]();
  let got = 0;
  while (got < want) {
    const r = await it.next();
    assert.equal(r.done, false);
    for (const rec of r.value.records) out[rec.partition]!.push(rec);
    got += r.value.records.length;
  }
  await c.close();
  return out;
};

interface Sent {
  key: string;
  value: number[];
  timestamp: number;
}

/** What each partition must hold, from the records as sent. */
const model = (partitions: number, sends: readonly ProduceRecord[][]): Sent[][] => {
  const out: Sent[][] = Array.from({ length: partitions }, () => []);
  for (const batch of sends) {
    for (const r of batch) {
      const p = r.partition ?? partitionFor(r.key, partitions);
      out[p]!.push({ key: r.key, value: Array.from(r.value), timestamp: r.timestamp! });
    }
  }
  return out;
};

const asSent = (parts: BusRecord[][]): Sent[][] =>
  parts.map((records) =>
    records.map((r) => ({ key: r.key!, value: Array.from(r.value), timestamp: r.timestamp })),
  );

const segmentFiles = (dir: string, topic: string, partition: number): string[] =>
  readdirSync(join(dir, topic, String(partition)))
    .filter((f) => f.endsWith('.log'))
    .sort();

const batchOf = (from: number, n: number, partition?: number): ProduceRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    key: `key-${from + i}`,
    value: enc.encode(`value-${from + i}`),
    timestamp: 1_700_000_000_000 + from + i,
    ...(partition === undefined ? {} : { partition }),
  }));

describe('durable MemoryBus: reopen', () => {
  it('keeps topics, records (keys, values, timestamps), offsets and committed offsets per group', async () => {
    const dir = freshDir();
    const big = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 131) & 0xff);
    const sends: ProduceRecord[][] = [
      batchOf(0, 50),
      [
        { key: 'ü-ключ-🚀', value: big, timestamp: 1.5 },
        { key: '', value: new Uint8Array(0), timestamp: -3 },
        { key: 'pinned', value: Uint8Array.of(0, 255), timestamp: 7, partition: 2 },
      ],
      batchOf(50, 30),
    ];
    {
      const { bus } = await open(dir);
      await bus.ensureTopic('a', 3);
      await bus.ensureTopic('b.with/odd..name', 1);
      for (const s of sends) await bus.send('a', s);
      await bus.send('b.with/odd..name', batchOf(0, 5));
      const c1 = bus.consumer({ group: 'g1', topics: ['a'] });
      await c1.commit('a', 0, 4);
      await c1.commit('a', 2, 9);
      await c1.commit('a', 2, 11); // the later commit wins
      const c2 = bus.consumer({ group: 'g2', topics: ['b.with/odd..name'] });
      await c2.commit('b.with/odd..name', 0, 3);
      await bus.close();
    }
    const want = model(3, sends);
    const wantEnds = want.map((p) => p.length);
    {
      const { bus, warnings } = await open(dir);
      assert.deepEqual(warnings, []);
      assert.equal(await bus.partitionCount('a'), 3);
      assert.equal(await bus.partitionCount('b.with/odd..name'), 1);
      assert.deepEqual(await bus.endOffsets('a'), wantEnds);
      assert.deepEqual(await bus.startOffsets('a'), [0, 0, 0]);
      assert.deepEqual(asSent(await readAll(bus, 'a')), want);
      assert.deepEqual(await bus.committedOffsets('g1', 'a'), [4, -1, 11]);
      assert.deepEqual(await bus.committedOffsets('g2', 'b.with/odd..name'), [3]);
      assert.deepEqual(await bus.committedOffsets('g3', 'a'), [-1, -1, -1]);
      // New sends continue the numbering.
      await bus.send('a', batchOf(100, 3, 1));
      assert.deepEqual(await bus.endOffsets('a'), [wantEnds[0]!, wantEnds[1]! + 3, wantEnds[2]!]);
      const c = bus.consumer({ group: 'g1', topics: ['a'] });
      await c.commit('a', 1, 2);
      await bus.close();
    }
    {
      const { bus, warnings } = await open(dir);
      assert.deepEqual(warnings, []);
      const all = await readAll(bus, 'a');
      assert.deepEqual(asSent(all), model(3, [...sends, batchOf(100, 3, 1)]));
      for (const part of all)
        part.forEach((r, i) => {
          assert.equal(r.offset, i);
        });
      assert.deepEqual(await bus.committedOffsets('g1', 'a'), [4, 2, 11]);
      await bus.close();
    }
  });

  it('matches the records sent across random sends, segment sizes, chunk sizes and reopens (property)', async () => {
    const record = fc.record({
      key: fc.string({ unit: 'grapheme', maxLength: 6 }),
      value: fc.uint8Array({ maxLength: 300 }),
      timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
      partition: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.array(record, { minLength: 1, maxLength: 20 }), fc.boolean()), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.integer({ min: 1, max: 4096 }),
        fc.integer({ min: 1, max: 8 }),
        async (steps, segmentBytes, chunkSize) => {
          const dir = freshDir();
          let { bus } = await open(dir, { segmentBytes, chunkSize });
          await bus.ensureTopic('t', 3);
          const sends: ProduceRecord[][] = [];
          for (const [batch, reopen] of steps) {
            const clean = batch.map(({ partition, ...rest }) =>
              partition === undefined ? rest : { ...rest, partition },
            );
            await bus.send('t', clean);
            sends.push(clean);
            if (reopen) {
              await bus.close();
              ({ bus } = await open(dir, { segmentBytes, chunkSize }));
            }
          }
          await bus.close();
          const { bus: last, warnings } = await open(dir, { segmentBytes, chunkSize });
          try {
            assert.deepEqual(warnings, []);
            assert.deepEqual(asSent(await readAll(last, 't')), model(3, sends));
          } finally {
            await last.close();
          }
          rmSync(dir, { recursive: true, force: true });
        },
      ),
      { numRuns: 25 },
    );
  });

  it('refuses a second open of the same directory while it is open, and takes over a dead process’s lock', async () => {
    const dir = freshDir();
    const { bus } = await open(dir);
    await assert.rejects(open(dir), (e) => isTickstreamError(e, 'BUS_UNAVAILABLE'));
    await bus.close();
    const again = await open(dir);
    await again.bus.close();
    // A lock left by a process that is gone (kill -9 leaves one behind).
    const child = spawn(process.execPath, ['-e', '']);
    const pid = child.pid!;
    await new Promise((resolve) => child.on('exit', resolve));
    writeFileSync(join(dir, '.lock'), String(pid));
    const third = await open(dir);
    await third.bus.close();
  });
});

describe('durable MemoryBus: recovery', () => {
  /** A one-partition topic with three sends of 5 records, closed; returns the segment file. */
  const threeSends = async (dir: string): Promise<string> => {
    const { bus } = await open(dir);
    await bus.ensureTopic('t', 1);
    for (let s = 0; s < 3; s++) await bus.send('t', batchOf(s * 5, 5, 0));
    await bus.close();
    const files = segmentFiles(dir, 't', 0);
    assert.deepEqual(files, ['00000000000000000000.log']);
    return join(dir, 't', '0', files[0]!);
  };

  /** Byte offsets where each of the three frames starts (frames are length-prefixed). */
  const frameStarts = (file: string): number[] => {
    const data = readFileSync(file);
    const starts: number[] = [];
    for (let at = 0; at < data.length; at += 8 + data.readUInt32LE(at)) starts.push(at);
    assert.equal(starts.length, 3);
    return starts;
  };

  /** After the torn tail is cut, the log holds the first 15 records and takes new ones. */
  const expectRecovered = async (dir: string, file: string, size: number): Promise<void> => {
    const { bus, warnings } = await open(dir);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /torn tail/);
    assert.equal(statSync(file).size, size, 'file cut back to the last whole frame');
    assert.deepEqual(await bus.endOffsets('t'), [15]);
    await bus.send('t', batchOf(15, 2, 0));
    await bus.close();
    const reopened = await open(dir);
    assert.deepEqual(reopened.warnings, []);
    const all = await readAll(reopened.bus, 't');
    assert.deepEqual(asSent(all), model(1, [batchOf(0, 15, 0), batchOf(15, 2, 0)]));
    await reopened.bus.close();
  };

  it('truncates a partially written last frame (kill -9 mid-write) with a warning and continues', async () => {
    for (const cut of [1, 7, 30, 100]) {
      const dir = freshDir();
      const file = await threeSends(dir);
      const size = statSync(file).size;
      const { bus } = await open(dir);
      await bus.send('t', batchOf(15, 5, 0)); // the frame the "kill" will tear
      await bus.close();
      const full = statSync(file).size;
      assert.ok(full - size > 100);
      truncateSync(file, full - cut);
      await expectRecovered(dir, file, size);
    }
  });

  it('truncates a zero-filled or stray-byte tail (power loss) with a warning and continues', async () => {
    for (const tail of [Buffer.alloc(4096), Buffer.from([1, 2, 3])]) {
      const dir = freshDir();
      const file = await threeSends(dir);
      const size = statSync(file).size;
      appendFileSync(file, tail);
      await expectRecovered(dir, file, size);
    }
  });

  it('drops the last frame when its CRC does not match (torn by a power loss), keeping the rest', async () => {
    const dir = freshDir();
    const file = await threeSends(dir);
    const starts = frameStarts(file);
    const data = readFileSync(file);
    data[data.length - 2]! ^= 0x40; // inside the last frame's last value
    writeFileSync(file, data);
    const { bus, warnings } = await open(dir);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /CRC mismatch/);
    assert.equal(statSync(file).size, starts[2]);
    assert.deepEqual(asSent(await readAll(bus, 't')), model(1, [batchOf(0, 10, 0)]));
    await bus.send('t', batchOf(100, 1, 0));
    assert.deepEqual(await bus.endOffsets('t'), [11]);
    await bus.close();
  });

  it('reports a CRC-corrupted frame in the middle as BUS_LOG_CORRUPT naming the file, and changes nothing', async () => {
    const dir = freshDir();
    const file = await threeSends(dir);
    const starts = frameStarts(file);
    const data = readFileSync(file);
    data[starts[1]! - 3]! ^= 0x01; // inside the first frame
    writeFileSync(file, data);
    await assert.rejects(open(dir), (e: unknown) => {
      assert.ok(e instanceof BusLogCorruptError);
      assert.equal(e.code, 'BUS_LOG_CORRUPT');
      assert.equal(e.file, file);
      assert.equal(e.position, 0);
      assert.match(e.message, /CRC mismatch/);
      assert.ok(e.message.includes(file));
      return true;
    });
    assert.deepEqual(readFileSync(file), data, 'the file is left as it was');
    // The lock was released: a fixed file opens.
    data[starts[1]! - 3]! ^= 0x01;
    writeFileSync(file, data);
    const { bus } = await open(dir);
    assert.deepEqual(await bus.endOffsets('t'), [15]);
    await bus.close();
  });

  it('reports a corrupted length in the middle (valid frames follow) instead of truncating', async () => {
    const dir = freshDir();
    const file = await threeSends(dir);
    const starts = frameStarts(file);
    const data = readFileSync(file);
    data.writeUInt32LE(1_000_000, starts[1]!); // the second frame now claims to run past the end
    writeFileSync(file, data);
    await assert.rejects(
      open(dir),
      (e: unknown) => e instanceof BusLogCorruptError && e.position === starts[1],
    );
    assert.deepEqual(readFileSync(file), data);
  });

  it('reports damage in an older segment and a missing segment as corruption', async () => {
    const dir = freshDir();
    const { bus } = await open(dir, { segmentBytes: 100 }); // one frame of 5 records per file
    await bus.ensureTopic('t', 1);
    for (let s = 0; s < 4; s++) await bus.send('t', batchOf(s * 5, 5, 0));
    await bus.close();
    const files = segmentFiles(dir, 't', 0);
    assert.deepEqual(
      files,
      [0, 5, 10, 15].map((b) => `${String(b).padStart(20, '0')}.log`),
    );
    const second = join(dir, 't', '0', files[1]!);
    const original = readFileSync(second);
    appendFileSync(second, Buffer.from([9, 9, 9])); // a "torn tail" that is not at the end of the log
    await assert.rejects(open(dir), (e: unknown) => e instanceof BusLogCorruptError && e.file === second);
    writeFileSync(second, original);
    rmSync(join(dir, 't', '0', files[2]!));
    await assert.rejects(open(dir), (e: unknown) => {
      assert.ok(e instanceof BusLogCorruptError);
      assert.match(e.message, /starts at offset 15 but the log before it ends at 10/);
      return true;
    });
  });

  it('drops a torn commit-log entry with a warning and refuses a corrupt one in the middle', async () => {
    const dir = freshDir();
    {
      const { bus } = await open(dir);
      await bus.ensureTopic('t', 2);
      const c = bus.consumer({ group: 'g', topics: ['t'] });
      for (let i = 1; i <= 5; i++) await c.commit('t', i % 2, i);
      await bus.close();
    }
    const file = join(dir, 'offsets.log');
    const good = readFileSync(file);
    appendFileSync(file, good.subarray(0, 20)); // half an entry
    {
      const { bus, warnings } = await open(dir);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /torn tail/);
      assert.deepEqual(await bus.committedOffsets('g', 't'), [4, 5]);
      await bus.close();
    }
    const compacted = readFileSync(file); // rewritten on open: one entry per partition
    const entry = compacted.readUInt32LE(0) + 8;
    assert.equal(compacted.length, 2 * entry);
    compacted[entry - 1]! ^= 0xff; // damage the first entry; the second is intact
    writeFileSync(file, compacted);
    await assert.rejects(open(dir), (e: unknown) => e instanceof BusLogCorruptError && e.file === file);
  });
});

describe('durable MemoryBus: retention', () => {
  it('deletes segment files whose records are all below the log start, and reopens from what is left', async () => {
    const dir = freshDir();
    // Records of 16 + 3 + 8 bytes; a send of 10 is a 294-byte frame; two frames fit in 600 bytes.
    const opts = { retentionRecords: 100, chunkSize: 10, segmentBytes: 600 };
    const send = (from: number) =>
      Array.from({ length: 10 }, (_, i) => ({
        key: 'key',
        value: enc.encode(String(from + i).padStart(8, '0')),
        partition: 0,
        timestamp: from + i,
      }));
    const { bus } = await open(dir, opts);
    await bus.ensureTopic('t', 1);
    for (let i = 0; i < 1000; i += 10) await bus.send('t', send(i));
    // By hand: 10-record chunks; the front chunk is dropped while the rest holds >= 100, so 100 stay
    // (900..999). Files hold 20 records each (bases 0, 20, ...); those ending at or below 900 are gone.
    assert.deepEqual(await bus.startOffsets('t'), [900]);
    const want = [900, 920, 940, 960, 980];
    assert.deepEqual(bus.segmentBases('t', 0), want);
    assert.deepEqual(
      segmentFiles(dir, 't', 0),
      want.map((b) => `${String(b).padStart(20, '0')}.log`),
    );
    assert.equal(statSync(join(dir, 't', '0', segmentFiles(dir, 't', 0)[0]!)).size, 588);
    await bus.close();
    const { bus: reopened, warnings } = await open(dir, opts);
    assert.deepEqual(warnings, []);
    assert.deepEqual(await reopened.startOffsets('t'), [900]);
    assert.deepEqual(await reopened.endOffsets('t'), [1000]);
    const [records] = await readAll(reopened, 't');
    assert.deepEqual(
      records!.map((r) => [r.offset, dec.decode(r.value)]),
      Array.from({ length: 100 }, (_, i) => [900 + i, String(900 + i).padStart(8, '0')]),
    );
    await reopened.close();
  });
});

describe('durable MemoryBus: kill -9', () => {
  const PER_SEND = 500;
  const script = (dir: string): string => `
    import { MemoryBus } from ${JSON.stringify(pathToFileURL(join(process.cwd(), 'src/bus/index.ts')).href)};
    const bus = await MemoryBus.open({ dir: ${JSON.stringify(dir)}, segmentBytes: 64 * 1024, log: () => {} });
    await bus.ensureTopic('t', 3);
    const c = bus.consumer({ group: 'g', topics: ['t'] });
    const enc = new TextEncoder();
    for (let b = 0; ; b++) {
      const records = [];
      for (let i = 0; i < ${PER_SEND}; i++) {
        records.push({ key: 'u' + ((b * ${PER_SEND} + i) % 97), value: enc.encode((b + ':' + i).padEnd(64, '.')), timestamp: b });
      }
      await bus.send('t', records);
      const ends = await bus.endOffsets('t');
      await c.commit('t', b % 3, ends[b % 3]);
      process.stdout.write('ACK ' + b + ' ' + ends.join(',') + '\\n');
    }
  `;

  /** Runs the writer until it has printed `acks` acknowledgements, then SIGKILLs it; returns the last ACK. */
  const runAndKill = async (dir: string, acks: number): Promise<number[][]> => {
    const file = join(dir, '..', `${dir.split('/').pop()}-writer.mjs`);
    writeFileSync(file, script(dir));
    dirs.push(file);
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acked: number[][] = []; // acked[b] = end offsets right after send b
    let buffered = '';
    let seen = 0;
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_, signal) => resolve(signal)),
    );
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        const [, b, ends] = buffered.slice(0, nl).split(' ');
        assert.equal(Number(b), acked.length);
        acked.push(ends!.split(',').map(Number));
        buffered = buffered.slice(nl + 1);
        if (++seen === acks) child.kill('SIGKILL');
        nl = buffered.indexOf('\n');
      }
    });
    const signal = await exited;
    assert.equal(signal, 'SIGKILL', 'the writer was killed, not finished or crashed');
    assert.ok(acked.length >= acks);
    return acked;
  };

  for (const acks of [15, 60]) {
    it(`recovers every acknowledged record and commit after SIGKILL mid-stream (${acks}+ acks)`, async () => {
      const dir = freshDir();
      const acked = await runAndKill(dir, acks);
      const last = { batch: acked.length - 1, ends: acked[acked.length - 1]! };
      const { bus } = await open(dir);
      const ends = await bus.endOffsets('t');
      const all = await readAll(bus, 't');
      const seen = new Set<string>();
      const committed = await bus.committedOffsets('g', 't');
      for (let p = 0; p < 3; p++) {
        assert.ok(ends[p]! >= last.ends[p]!, `partition ${p}: ${ends[p]} < acknowledged ${last.ends[p]}`);
        const records = all[p]!;
        assert.equal(records.length, ends[p]);
        let prevBatch = -1;
        records.forEach((r, i) => {
          assert.equal(r.offset, i, 'contiguous offsets from 0');
          const [b, j] = dec.decode(r.value).replace(/\.+$/, '').split(':').map(Number);
          assert.ok(Number.isInteger(b) && Number.isInteger(j), 'value intact');
          assert.equal(r.key, `u${(b! * PER_SEND + j!) % 97}`);
          assert.equal(r.partition, partitionFor(r.key!, 3));
          assert.equal(r.timestamp, b);
          assert.ok(b! >= prevBatch, 'batches in send order');
          prevBatch = b!;
          const id = `${b}:${j}`;
          assert.ok(!seen.has(id), `${id} twice`);
          seen.add(id);
        });
        // The writer commits partition b % 3 at its end after send b, before acknowledging send b.
        const lastCommitFor = last.batch - ((last.batch - p + 3) % 3);
        assert.ok(lastCommitFor >= 0);
        assert.ok(committed[p]! >= acked[lastCommitFor]![p]!, `partition ${p}: acknowledged commit lost`);
        assert.ok(committed[p]! <= ends[p]!);
      }
      // Every record of every acknowledged send is there; of later sends at most the one in flight.
      for (let b = 0; b <= last.batch; b++) {
        for (let j = 0; j < PER_SEND; j++) assert.ok(seen.has(`${b}:${j}`), `acknowledged ${b}:${j} lost`);
      }
      assert.ok(seen.size <= (last.batch + 2) * PER_SEND);
      // The recovered log takes new records and reopens cleanly.
      await bus.send('t', batchOf(0, 10));
      await bus.close();
      const again = await open(dir);
      assert.deepEqual(again.warnings, []);
      const after = await again.bus.endOffsets('t');
      assert.equal(
        after.reduce((s, e) => s + e, 0),
        ends.reduce((s, e) => s + e, 0) + 10,
      );
      await again.bus.close();
    });
  }
});
