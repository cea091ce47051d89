// The Bus contract against the durable MemoryBus: a fresh directory per bus, default segments, and tiny
// segments and chunks so rolling, retention of files and chunk boundaries are all crossed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { MemoryBus } from '../src/bus/index.ts';
import { busContract } from './contract/bus.contract.ts';

const dirs: string[] = [];
const freshDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'tickstream-bus-contract-'));
  dirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

busContract('MemoryBus durable', async () => MemoryBus.open({ dir: freshDir() }));
busContract('MemoryBus durable (256-byte segments, chunkSize 3, fsync always)', async () =>
  MemoryBus.open({ dir: freshDir(), segmentBytes: 256, chunkSize: 3, fsync: 'always' }),
);
