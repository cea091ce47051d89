// Fetch responses whose records stay bytes until the consumer reads them (record-batch-read.ts).
//
// Where the client would use the library's Fetch v17 (what a Kafka 3.9+/4.x broker offers), ours is
// handed to it instead (api-swap.ts): the library's request, and a response parser
// that is the library's except for the records, which it keeps as the raw batch bytes (RawRecords)
// instead of building objects for every record. The client's fetch-session and error handling run on
// the result unchanged. Two cases keep the library's parsed batches: other Fetch versions (an older
// broker), and a partition whose response lists aborted transactions (the client filters those batches
// by producer id, which needs them parsed; our producers are not transactional, so this is rare).

import {
  createAPI,
  fetchV17,
  type Reader,
  Reader as ReaderClass,
  ResponseError,
  type ResponseErrorWithLocation,
  readKnownTaggedFields,
  readRecordsBatches,
} from '@platformatic/kafka';
import { type ApiSwap, swapApi } from './api-swap.ts';

type FetchResponse = fetchV17.FetchResponse;
type FetchResponsePartition = fetchV17.FetchResponsePartition;

/** A partition's record batches as fetched: the bytes of whole batches, maybe a truncated one at the end. */
export class RawRecords {
  readonly bytes: Buffer;
  constructor(bytes: Buffer) {
    this.bytes = bytes;
  }
}

const readPartition = (r: Reader, errors: ResponseErrorWithLocation[], i: number, j: number) => {
  const partition: FetchResponsePartition = {
    partitionIndex: r.readInt32(),
    errorCode: r.readInt16(),
    highWatermark: r.readInt64(),
    lastStableOffset: r.readInt64(),
    logStartOffset: r.readInt64(),
    divergingEpoch: { epoch: -1, endOffset: -1n },
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1n, epoch: -1 },
    abortedTransactions: r.readNullableArray((r) => ({
      producerId: r.readInt64(),
      firstOffset: r.readInt64(),
    })),
    preferredReadReplica: r.readInt32(),
    records: [],
  };
  if (partition.errorCode !== 0)
    errors.push([`/responses/${i}/partitions/${j}`, [partition.errorCode, null]]);
  let size = r.readUnsignedVarInt();
  if (size === 0) partition.records = null;
  if (size > 1) {
    size--;
    if ((partition.abortedTransactions?.length ?? 0) > 0) {
      partition.records = readRecordsBatches(
        ReaderClass.from(r.buffer.subarray(r.position, r.position + size)),
      );
    } else {
      // The partition's records field carries our bytes; the consumer tells the two forms apart.
      (partition as { records: unknown }).records = new RawRecords(
        r.buffer.slice(r.position, r.position + size),
      );
    }
    r.skip(size);
  }
  readKnownTaggedFields(r, {
    0: (r) => {
      partition.divergingEpoch = { epoch: r.readInt32(), endOffset: r.readInt64() };
    },
    1: (r) => {
      partition.currentLeader = { leaderId: r.readInt32(), leaderEpoch: r.readInt32() };
    },
    2: (r) => {
      partition.snapshotId = { endOffset: r.readInt64(), epoch: r.readInt32() };
    },
  });
  return partition;
};

/** fetchV17.parseResponse with the records left as bytes. */
export const parseFetchResponse = (
  _correlationId: number,
  apiKey: number,
  apiVersion: number,
  reader: Reader,
): FetchResponse => {
  const errors: ResponseErrorWithLocation[] = [];
  const throttleTimeMs = reader.readInt32();
  const errorCode = reader.readInt16();
  if (errorCode !== 0) errors.push(['', [errorCode, null]]);
  const response: FetchResponse = {
    throttleTimeMs,
    errorCode,
    sessionId: reader.readInt32(),
    nodeEndpoints: [],
    responses: reader.readArray((r, i) => ({
      topicId: r.readUUID(),
      partitions: r.readArray((r, j) => readPartition(r, errors, i, j), true, false),
    })),
  };
  readKnownTaggedFields(reader, {
    0: (r) => {
      response.nodeEndpoints = r.readArray((r) => ({
        nodeId: r.readInt32(),
        host: r.readString(),
        port: r.readInt32(),
        rack: r.readNullableString(),
      }));
    },
  });
  if (errors.length > 0) throw new ResponseError(apiKey, apiVersion, Object.fromEntries(errors), response);
  return response;
};

type FetchApi = typeof fetchV17.api;
export const fastFetchV17: FetchApi = createAPI(
  fetchV17.api.key,
  fetchV17.api.version,
  fetchV17.createRequest,
  parseFetchResponse,
);

/** Makes `client` use fastFetchV17 whenever it would use the library's Fetch v17. */
export const installFastFetch = (client: object): ApiSwap =>
  swapApi(client, 'Fetch', fetchV17.api, fastFetchV17);
