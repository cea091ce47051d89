// Records out of record batches that the Kafka client library has already parsed: the consumer's path
// when our own Fetch parser (fetch-fast.ts) is not in use, e.g. a Fetch version it does not cover. It
// must read the same records as record-batch-read.ts does from the batches' bytes (tested against it
// in record-batch-read.test.ts).
import { sharedInterner } from '../../domain/interner.ts';
import type { BusRecord } from '../port.ts';
import { IS_CONTROL, LOG_APPEND_TIME } from './record-batch-layout.ts';

/** A batch as the library's Fetch parser returns it (the fields we read). */
export interface ParsedBatch {
  firstOffset: bigint;
  lastOffsetDelta: number;
  attributes: number;
  firstTimestamp: bigint;
  maxTimestamp: bigint;
  records: { offsetDelta: number; timestampDelta: bigint; key: Buffer | null; value: Buffer | null }[];
}

const EMPTY_VALUE = new Uint8Array(0);

/**
 * Appends the records of `batches` at offsets ≥ `from` to `out`; returns the offset to fetch next
 * (past every batch seen, control batches included, as the fast reader's `next`).
 */
export const appendParsedBatches = (
  batches: readonly ParsedBatch[],
  from: number,
  topic: string,
  partition: number,
  out: BusRecord[],
): number => {
  let next = from;
  for (const batch of batches) {
    const first = Number(batch.firstOffset);
    const last = first + batch.lastOffsetDelta;
    if (last < from) continue;
    if (last + 1 > next) next = last + 1;
    if ((batch.attributes & IS_CONTROL) !== 0) continue; // transaction markers
    // LogAppendTime: the broker's time, the batch's max timestamp, is every record's (as the fast path)
    const logAppendTime = (batch.attributes & LOG_APPEND_TIME) !== 0;
    const baseTs = Number(logAppendTime ? batch.maxTimestamp : batch.firstTimestamp);
    for (const r of batch.records) {
      const offset = first + r.offsetDelta;
      if (offset < from) continue;
      out.push({
        topic,
        partition,
        offset,
        // keys repeat (symbols, users): interned, not a fresh string per record
        key: r.key === null ? null : sharedInterner.decode(r.key, 0, r.key.length),
        value: r.value ?? EMPTY_VALUE,
        timestamp: logAppendTime ? baseTs : baseTs + Number(r.timestampDelta),
      });
    }
  }
  return next;
};
