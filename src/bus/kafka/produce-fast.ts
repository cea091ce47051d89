// A faster Produce v11 request for @platformatic/kafka 2.12, plugged into a Producer without forking it.
//
// Why: the library builds every record with its own Writer and DynamicBuffer, BigInt varints and copies
// (`npm run bench -- kafka-produce-encode` compares the two), and our pipeline shares two cores with the
// broker. This writes the same bytes in one pre-sized Buffer per request (record-batch-write.ts).
//
// How: where a Producer would use the library's Produce v11 (what Kafka 2.8+ and 4.x negotiate with
// this client), installFastProduce hands it (api-swap.ts) an API built with the library's createAPI
// around our createRequest and the library's own v11 parseResponse. Any other version is passed through
// untouched, and so is any request this encoder does not cover (messages that are not
// plain bytes with bigint timestamps, a partition that is not a non-negative int32, an unknown
// compression): those go to the library's own v11 createRequest with the same arguments.
//
// Same bytes as the library, checked by produce-fast.test.ts, including its quirks: topics and partitions
// in the order of its groupByProperty (an object's keys: integer-like names first, ascending, then the
// others in first-seen order), gzip compressed off-thread (async, at most 4 at a time), and the same
// normalization of the messages (partition 0 and the current time where absent). One deliberate
// difference: timestamp deltas beyond ±2^31 ms are encoded correctly (see record-batch-write.ts).

import {
  type CreateRecordsBatchOptions,
  compressionsAlgorithms,
  createAPI,
  type MessageRecord,
  type Producer,
  produceV11,
  Writer,
} from '@platformatic/kafka';
import { type ApiSwap, swapApi } from './api-swap.ts';
import { BATCH_HEADER_SIZE } from './record-batch-layout.ts';
import {
  type BatchFields,
  planRecords,
  type RecordsPlan,
  uvarintSize,
  writeBatchHeader,
  writeRecords,
  writeUVarInt,
} from './record-batch-write.ts';

type Options = Partial<CreateRecordsBatchOptions>;

/** Requests encoded here vs handed to the library's encoder, over all installed producers. */
export const fastProduceCounters = { requests: 0, records: 0, fallbacks: 0 };

const IS_TRANSACTIONAL = 1 << 4;
const NO_RESPONSE = 0;
/** The library's gzip concurrency (apis/producer/utils.js): zlib's thread pool has 4 threads. */
const GZIP_CONCURRENCY = 4;
const INT32_MAX = 0x7fffffff;
const MAX_ARRAY_INDEX = 4294967294;

interface PartitionGroup {
  partition: number;
  messages: MessageRecord[];
  /** First scratch slot of its records (record-batch-write's per-record arrays). */
  slot: number;
  plan: RecordsPlan;
  fields: BatchFields;
  /** Compressed records section, when compressed. */
  compressed: Buffer | undefined;
}

interface TopicGroup {
  name: string;
  nameBytes: Buffer;
  partitions: Map<number, PartitionGroup>;
  ordered: PartitionGroup[];
}

interface Compressor {
  bitmask: number;
  compressSync: (data: Buffer) => Buffer;
  compress?: (data: Buffer) => Promise<Buffer>;
}

/** The compressor the library would use, null for none, undefined for one it would reject. */
const compressorOf = (compression: unknown): Compressor | null | undefined => {
  if ((compression ?? 'none') === 'none') return null;
  if (typeof compression !== 'string' || !Object.hasOwn(compressionsAlgorithms, compression))
    return undefined;
  return compressionsAlgorithms[compression as keyof typeof compressionsAlgorithms] as Compressor;
};

/** The array index an object key `name` is (then Object.entries puts it first, ascending), or -1. */
const arrayIndex = (name: string): number => {
  const c = name.charCodeAt(0);
  if (!(c >= 48 && c <= 57) || (c === 48 && name.length > 1) || name.length > 10) return -1;
  for (let i = 1; i < name.length; i++) {
    const d = name.charCodeAt(i);
    if (!(d >= 48 && d <= 57)) return -1;
  }
  const n = Number(name);
  return n <= MAX_ARRAY_INDEX ? n : -1;
};

/** Topics in groupByProperty's order: array-index names ascending, then the rest as first seen. */
const orderTopics = (topics: TopicGroup[]): TopicGroup[] => {
  if (topics.length < 2) return topics;
  const indexed = topics.filter((t) => arrayIndex(t.name) >= 0);
  if (indexed.length === 0) return topics;
  indexed.sort((a, b) => arrayIndex(a.name) - arrayIndex(b.name));
  return indexed.concat(topics.filter((t) => arrayIndex(t.name) < 0));
};

/**
 * Groups and measures the messages. Undefined when the library must encode this request: a topic that
 * is not a string, a partition that is not an int32 ≥ 0, or a message planRecords does not cover.
 */
const plan = (
  topicData: readonly MessageRecord[],
  options: Options,
  compressor: Compressor | null,
): TopicGroup[] | undefined => {
  const byName = new Map<string, TopicGroup>();
  const topics: TopicGroup[] = [];
  let last: TopicGroup | undefined;
  for (let i = 0; i < topicData.length; i++) {
    const m = topicData[i]!;
    const name = m.topic as unknown;
    const p = m.partition as unknown;
    if (
      typeof name !== 'string' ||
      !(Number.isInteger(p) && (p as number) >= 0 && (p as number) <= INT32_MAX)
    )
      return undefined;
    let t = last !== undefined && last.name === name ? last : byName.get(name);
    if (t === undefined) {
      t = { name, nameBytes: Buffer.from(name, 'utf8'), partitions: new Map(), ordered: [] };
      byName.set(name, t);
      topics.push(t);
    }
    last = t;
    let g = t.partitions.get(p as number);
    if (g === undefined) {
      g = {
        partition: p as number,
        messages: [],
        slot: 0,
        plan: undefined as unknown as RecordsPlan,
        fields: undefined as unknown as BatchFields,
        compressed: undefined,
      };
      t.partitions.set(p as number, g);
    }
    g.messages.push(m);
  }
  const attributesBase = (options.transactionalId ? IS_TRANSACTIONAL : 0) | (compressor?.bitmask ?? 0);
  const producerId = options.producerId ?? -1n;
  const producerEpoch = options.producerEpoch ?? 0;
  const partitionLeaderEpoch = options.partitionLeaderEpoch ?? 0;
  let slot = 0;
  const ordered = orderTopics(topics);
  for (const t of ordered) {
    // Partitions are non-negative integers: all array indexes, so groupByProperty sorts them ascending.
    t.ordered = [...t.partitions.values()].sort((a, b) => a.partition - b.partition);
    for (const g of t.ordered) {
      const planned = planRecords(g.messages, slot);
      if (planned === undefined) return undefined;
      g.slot = slot;
      g.plan = planned;
      slot += g.messages.length;
      g.fields = {
        attributes: attributesBase,
        producerId,
        producerEpoch,
        // As prepareRecordsBatch: the snapshot the Producer took for this send, keyed topic:partition.
        firstSequence: options.sequences
          ? options.sequences.getWithDefault(`${t.name}:${g.partition}`, 0)
          : 0,
        partitionLeaderEpoch,
      };
    }
  }
  return ordered;
};

/** Bytes of a batch's records section as it goes on the wire. */
const sectionSize = (g: PartitionGroup): number => g.compressed?.length ?? g.plan.size;

/**
 * The request body (after the request header, which the connection writes): transactional_id acks
 * timeout_ms [topic_data] TAG_BUFFER, in one Buffer. Uncompressed records are written in place; compressed
 * ones are copied in.
 */
const assemble = (acks: number, timeout: number, topics: TopicGroup[], options: Options): Writer => {
  const txn = options.transactionalId == null ? undefined : Buffer.from(options.transactionalId, 'utf8');
  let total = (txn === undefined ? 1 : uvarintSize(txn.length + 1) + txn.length) + 6;
  total += uvarintSize(topics.length + 1) + 1;
  for (const t of topics) {
    total += uvarintSize(t.nameBytes.length + 1) + t.nameBytes.length;
    total += uvarintSize(t.ordered.length + 1) + 1;
    for (const g of t.ordered) {
      const batch = BATCH_HEADER_SIZE + sectionSize(g);
      total += 4 + uvarintSize(batch + 1) + batch + 1;
    }
  }
  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  if (txn === undefined) buf[pos++] = 0;
  else {
    pos = writeUVarInt(buf, pos, txn.length + 1);
    pos += txn.copy(buf, pos);
  }
  pos = buf.writeInt16BE(acks, pos);
  pos = buf.writeInt32BE(timeout, pos);
  pos = writeUVarInt(buf, pos, topics.length + 1);
  for (const t of topics) {
    pos = writeUVarInt(buf, pos, t.nameBytes.length + 1);
    pos += t.nameBytes.copy(buf, pos);
    pos = writeUVarInt(buf, pos, t.ordered.length + 1);
    for (const g of t.ordered) {
      const section = sectionSize(g);
      pos = buf.writeInt32BE(g.partition, pos);
      pos = writeUVarInt(buf, pos, BATCH_HEADER_SIZE + section + 1);
      const start = pos;
      if (g.compressed === undefined) {
        writeRecords(buf, start + BATCH_HEADER_SIZE, g.messages, g.slot, g.plan.firstTimestamp);
      } else {
        g.compressed.copy(buf, start + BATCH_HEADER_SIZE);
      }
      pos = writeBatchHeader(buf, start, g.fields, g.messages.length, g.plan, section);
      buf[pos++] = 0; // partition tagged fields
    }
    buf[pos++] = 0; // topic tagged fields
  }
  buf[pos++] = 0; // request tagged fields
  const writer = Writer.create().append(buf);
  if (acks === NO_RESPONSE) writer.context.noResponse = true;
  counted(topics);
  return writer;
};

const counted = (topics: TopicGroup[]): void => {
  fastProduceCounters.requests++;
  for (const t of topics) for (const g of t.ordered) fastProduceCounters.records += g.messages.length;
};

/** The library's normalization (its createRequest mutates the messages too; retries resend them). */
const normalize = (topicData: MessageRecord[]): void => {
  const now = BigInt(Date.now());
  for (const message of topicData) {
    if (message.partition === undefined) message.partition = 0;
    if (message.timestamp === undefined) message.timestamp = now;
  }
};

/** Uncompressed records of a group in a Buffer of their own, for a compressor. */
const recordsOf = (g: PartitionGroup, into?: Buffer): Buffer => {
  const b = into ?? Buffer.allocUnsafe(g.plan.size);
  writeRecords(b, 0, g.messages, g.slot, g.plan.firstTimestamp);
  return b;
};

/** Sync scratch for records about to be compressed (compressSync returns a new buffer). */
let compressScratch = Buffer.allocUnsafe(64 * 1024);

const scratchFor = (size: number): Buffer => {
  if (compressScratch.length < size)
    compressScratch = Buffer.allocUnsafe(Math.max(size, compressScratch.length * 2));
  return compressScratch.subarray(0, size);
};

/**
 * Normalizes the messages as the library does, picks its compressor and plans the batches; undefined
 * (and counted) when the library must encode this request.
 */
const prepare = (
  topicData: MessageRecord[],
  options: Options,
): { compressor: Compressor | null; topics: TopicGroup[] } | undefined => {
  normalize(topicData);
  const compressor = compressorOf(options.compression);
  const topics = compressor === undefined ? undefined : plan(topicData, options, compressor);
  if (topics === undefined || compressor === undefined) {
    fastProduceCounters.fallbacks++;
    return undefined;
  }
  return { compressor, topics };
};

/**
 * Produce v11 request, as produceV11.createRequest (same arguments, same bytes; compression synchronous).
 * Falls back to it for requests this encoder does not cover.
 */
export function createRequest(
  acks = 1,
  timeout = 0,
  topicData: MessageRecord[],
  options: Options = {},
): Writer {
  const prepared = prepare(topicData, options);
  if (prepared === undefined) return produceV11.createRequest(acks, timeout, topicData, options);
  const { compressor, topics } = prepared;
  if (compressor !== null) {
    for (const t of topics) {
      for (const g of t.ordered)
        g.compressed = compressor.compressSync(recordsOf(g, scratchFor(g.plan.size)));
    }
  }
  return assemble(acks, timeout, topics, options);
}

/** As produceV11.createRequestAsync: compressors with an async form (gzip) run off-thread, 4 at a time. */
export async function createRequestAsync(
  acks = 1,
  timeout = 0,
  topicData: MessageRecord[],
  options: Options = {},
): Promise<Writer> {
  const prepared = prepare(topicData, options);
  if (prepared === undefined) return produceV11.createRequestAsync(acks, timeout, topicData, options);
  const { compressor, topics } = prepared;
  if (compressor === null) return assemble(acks, timeout, topics, options);
  // Every records section is written before the first await: the scratch slots are shared.
  const tasks: { g: PartitionGroup; records: Buffer }[] = [];
  for (const t of topics) for (const g of t.ordered) tasks.push({ g, records: recordsOf(g) });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const { g, records } = tasks[next++]!;
      g.compressed =
        compressor.compress !== undefined
          ? await compressor.compress(records)
          : compressor.compressSync(records);
    }
  };
  await Promise.all(Array.from({ length: Math.min(GZIP_CONCURRENCY, tasks.length) }, worker));
  return assemble(acks, timeout, topics, options);
}

/** What the library's v11 API runs per request (produce-v11.js createApiRequest). */
const createApiRequest = (
  acks: number | undefined,
  timeout: number | undefined,
  topicData: MessageRecord[],
  options: Options = {},
): Writer | Promise<Writer> =>
  options.compression === 'gzip'
    ? createRequestAsync(acks, timeout, topicData, options)
    : createRequest(acks, timeout, topicData, options);

type ProduceApi = typeof produceV11.api;

/** The Produce v11 API with this encoder and the library's response parser. */
export const fastProduceV11: ProduceApi = createAPI(
  produceV11.api.key,
  produceV11.api.version,
  createApiRequest,
  produceV11.parseResponse,
);

/** Which Produce implementation a producer was last handed: `active` while it is ours. */
export type FastProduceInstall = ApiSwap;

/**
 * Makes `producer` encode its Produce v11 requests with this module's encoder. Other APIs and other
 * Produce versions go through untouched.
 */
export const installFastProduce = (producer: Producer<Buffer, Buffer, Buffer, Buffer>): FastProduceInstall =>
  swapApi(producer, 'Produce', produceV11.api, fastProduceV11);
