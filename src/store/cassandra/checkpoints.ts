// Checkpoints of any size. A state up to `chunkBytes` stays in the `checkpoints` row, as before. A
// larger one would not fit one request (the native protocol refuses frames over 16 MiB, and Cassandra
// mutations over half a commit-log segment), and a portfolio partition of ~80,000 users holding 5
// positions each (40 bytes a position) is larger. So it goes to `checkpoint_chunks` under a fresh
// generation first, and only then does the `checkpoints` row name that generation: one
// single-partition write, so a reader sees the old checkpoint or the new one whole, never offsets of
// one with state of another. The replaced generation is deleted after.
//
// A reader can still meet a generation being deleted: a process restoring a partition while its
// previous owner (not yet told it lost it) saves one more checkpoint. Chunks that do not add up are
// therefore read again from the head row; only a generation that stays incomplete is corrupt.
import type { Client } from 'cassandra-driver';
import { TickstreamError } from '../../domain/errors.ts';
import type { Checkpoint } from '../port.ts';
import { int32, int64 } from './bounds.ts';
import type { Statements } from './cql.ts';
import { blob, type Row, toCheckpoint } from './rows.ts';
import { PREPARED, runBounded } from './writer.ts';

/** Chunk writes in flight for one checkpoint (each up to chunkBytes). */
const CHUNK_WRITES = 4;
/** Chunk bytes per page when reading a generation back, well under the 16 MiB frame. */
const PAGE_BYTES = 8 * 1024 * 1024;
/** Reads of a checkpoint whose chunks did not add up before it counts as corrupt. */
const LOAD_ATTEMPTS = 3;
const EMPTY = Buffer.alloc(0);

const corrupt = (what: string): TickstreamError => new TickstreamError('CHECKPOINT_CORRUPT', what);

/** A generation id no other save of the same partition picks (random 52 bits; 0 means "inline"). */
const freshGeneration = (): number => 1 + Math.floor(Math.random() * 2 ** 52);

const longOrZero = (v: unknown): number => (v === null || v === undefined ? 0 : Number(String(v)));

export class CheckpointTable {
  private readonly client: Client;
  private readonly q: Statements;
  private readonly chunkBytes: number;
  /** The generation this instance last wrote per processor/partition (0: inline), to delete it next. */
  private readonly written = new Map<string, number>();

  constructor(client: Client, q: Statements, chunkBytes: number) {
    if (!Number.isInteger(chunkBytes) || chunkBytes < 1 || chunkBytes > PAGE_BYTES) {
      throw new TickstreamError('CONFIG_INVALID', `checkpoint chunk size must be 1 … ${PAGE_BYTES} bytes`);
    }
    this.client = client;
    this.q = q;
    this.chunkBytes = chunkBytes;
  }

  async save(c: Checkpoint): Promise<void> {
    const part = int32(c.partition, 'checkpoint partition');
    const updatedAt = int64(c.updatedAt, 'checkpoint updatedAt');
    const offsets = JSON.stringify(c.offsets);
    const key = `${c.processor}\u0001${part}`;
    const previous = this.written.get(key) ?? (await this.currentGeneration(c.processor, part));
    const size = c.state.byteLength;
    let generation = 0;
    let chunks = 0;
    if (size > this.chunkBytes) {
      generation = freshGeneration();
      chunks = Math.ceil(size / this.chunkBytes);
      await runBounded(chunks, CHUNK_WRITES, async (i) => {
        const data = c.state.subarray(i * this.chunkBytes, Math.min(size, (i + 1) * this.chunkBytes));
        await this.client.execute(
          this.q.insertCheckpointChunk,
          [c.processor, part, generation, i, blob(data)],
          PREPARED,
        );
      });
    }
    try {
      await this.client.execute(
        this.q.saveCheckpoint,
        [c.processor, part, offsets, chunks > 0 ? EMPTY : blob(c.state), updatedAt, generation, chunks, size],
        PREPARED,
      );
    } catch (e) {
      // The head may or may not have moved (a timeout says nothing): forget what this instance knows,
      // so the next save reads the head to learn which generation it replaces. A generation the head
      // never named stays behind; a retry of this checkpoint writes another.
      this.written.delete(key);
      throw e;
    }
    this.written.set(key, generation);
    if (previous !== 0 && previous !== generation) {
      await this.client.execute(this.q.deleteCheckpointChunks, [c.processor, part, previous], PREPARED);
    }
  }

  async load(processor: string, partition: number): Promise<Checkpoint | undefined> {
    const part = int32(partition, 'checkpoint partition');
    for (let attempt = 1; ; attempt++) {
      const head = (await this.client.execute(this.q.loadCheckpoint, [processor, part], PREPARED)).first() as
        | Row
        | undefined;
      if (head === undefined || head === null) return undefined;
      const checkpoint = toCheckpoint(head);
      const chunks = typeof head.chunks === 'number' ? head.chunks : 0;
      if (chunks === 0) return checkpoint;
      const generation = longOrZero(head.generation);
      const size = longOrZero(head.state_size);
      // No chunk is ever larger than PAGE_BYTES: a head claiming more is damaged (and must not make
      // this allocate whatever it says).
      if (chunks < 0 || !Number.isSafeInteger(size) || size < 0 || size > chunks * PAGE_BYTES) {
        throw corrupt(`checkpoint ${processor}/${part}: ${chunks} chunks cannot hold ${size} bytes`);
      }
      const state = await this.readChunks(processor, part, generation, chunks, size);
      if (state !== undefined) return { ...checkpoint, state };
      if (attempt === LOAD_ATTEMPTS) {
        throw corrupt(
          `checkpoint ${processor}/${part}: generation ${generation} lacks chunks of its ${chunks}`,
        );
      }
    }
  }

  /** The chunked generation the head row names now (0 when inline or absent). */
  private async currentGeneration(processor: string, part: number): Promise<number> {
    const row = (
      await this.client.execute(this.q.checkpointGeneration, [processor, part], PREPARED)
    ).first() as Row | undefined;
    if (row === undefined || row === null || typeof row.chunks !== 'number' || row.chunks === 0) return 0;
    return longOrZero(row.generation);
  }

  /** The generation's bytes, or undefined when its chunks are not all there (0 … chunks-1, `size` in all). */
  private async readChunks(
    processor: string,
    part: number,
    generation: number,
    chunks: number,
    size: number,
  ): Promise<Uint8Array | undefined> {
    const out = new Uint8Array(size);
    const fetchSize = Math.max(1, Math.floor(PAGE_BYTES / this.chunkBytes));
    let next = 0;
    let offset = 0;
    let pageState: string | undefined;
    do {
      const rs = await this.client.execute(this.q.checkpointChunks, [processor, part, generation], {
        prepare: true,
        fetchSize,
        ...(pageState === undefined ? {} : { pageState }),
      });
      for (const r of rs.rows as Row[]) {
        const data = r.data;
        if (r.seq !== next || !(data instanceof Uint8Array) || offset + data.byteLength > size)
          return undefined;
        out.set(data, offset);
        offset += data.byteLength;
        next++;
      }
      pageState = rs.pageState ?? undefined;
    } while (pageState !== undefined);
    return next === chunks && offset === size ? out : undefined;
  }
}
