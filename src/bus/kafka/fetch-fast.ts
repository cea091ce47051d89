// Fetch responses whose records stay bytes until the consumer reads them (record-batch-read.ts).
//
// The client picks each API's implementation through `client[kGetApi](name)`; for Fetch v17 (what a
// Kafka 3.9+/4.x broker offers) ours is handed back instead: the library's request, and a response parser
// that is the library's except for the records, which it keeps as the raw batch bytes (RawRecords)
// instead of building objects for every record. The client's fetch-session and error handling run on
// the result unchanged. Two cases keep the library's parsed batches: other Fetch versions (an older
// broker), and a partition whose response lists aborted transactions (the client filters those batches
// by producer id, which needs them parsed; our producers are not transactional, so this is rare).

import {
  type API,
  type Callback,
  createAPI,
  fetchV17,
  kGetApi,
  type Reader,
  Reader as ReaderClass,
  ResponseError,
  type ResponseErrorWithLocation,
  readKnownTaggedFields,
  readRecordsBatches,
} from '@platformatic/kafka';

type FetchResponse = fetchV17.FetchResponse;
type FetchResponsePartition = fetchV17.FetchResponsePartition;

/** A partition's record batches as fetched: the bytes of whole batches, maybe a truncated one at the end. */
export class RawRecords {
  readonly bytes: Buffer;
  constructor(bytes: Buffer) {
    this.bytes = bytes;
  }
}

const FETCH_KEY = 1;
const FAST_VERSION = 17;

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
  FETCH_KEY,
  FAST_VERSION,
  fetchV17.createRequest,
  parseFetchResponse,
);

interface ApiPicker {
  [kGetApi]<A extends unknown[], R>(name: string, callback: Callback<API<A, R>>): void;
}

/**
 * Makes `client` use fastFetchV17 whenever it would use the library's Fetch v17. Returns how to tell
 * whether it did (for tests and metrics).
 */
export const installFastFetch = (client: object): { used: () => boolean } => {
  const picker = client as ApiPicker;
  const original = picker[kGetApi].bind(picker);
  let used = false;
  picker[kGetApi] = <A extends unknown[], R>(name: string, callback: Callback<API<A, R>>): void => {
    original<A, R>(name, (error, api) => {
      if (error === null && name === 'Fetch' && api?.version === FAST_VERSION) {
        used = true;
        callback(null, fastFetchV17 as unknown as API<A, R>);
        return;
      }
      callback(error, api);
    });
  };
  return { used: () => used };
};
