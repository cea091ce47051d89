// A BATCH request encoder that writes the same bytes as cassandra-driver's own, in one buffer.
//
// Why: the driver's BatchRequest.write allocates a Buffer for every field of every statement (the
// kind byte, the id's length, each value's length and each value) and concatenates them at the end:
// ~30 allocations for one candle row of 13 values. In the cassandra-write profile that path (the
// writers, the value encoders, Buffer.concat and the GC after them) was ~40 % of the writing process's
// CPU, which is CPU the processor's event loop then lacks.
//
// Scope: the requests the store adapter sends: prepared statements whose values are null, Buffers,
// strings for text columns, safe integers for bigint, integers for int, numbers for double, booleans
// for boolean, on protocol v3 and later, without tracing or a custom payload. Any other request, or
// any other value, goes to the driver's own write unchanged, so its checks and errors stay the driver's.
// The driver offers no hook for this, so it replaces BatchRequest.prototype.write (the one place every
// batch is encoded; `cassandra-driver` is pinned to a minor version in package.json, and a property
// test compares the bytes with the driver's own for random batches over every supported type).
import { createRequire } from 'node:module';
import { writeBigintValue, writeDoubleValue } from './cql-bytes.ts';

const require = createRequire(import.meta.url);

interface Long {
  readonly high: number;
  readonly low: number;
}
interface ExecOptions {
  isQueryTracing(): boolean;
  getCustomPayload(): unknown;
  getConsistency(): number;
  getSerialConsistency(): number | undefined;
  getKeyspace(): string | undefined;
}
interface QueryItem {
  queryId?: Buffer;
  params?: readonly unknown[];
  meta?: { columns: readonly { type: { code: number } }[] };
}
/** The fields of the driver's BatchRequest that its write reads (lib/requests.js). */
export interface BatchRequestLike {
  queries: readonly QueryItem[];
  options: ExecOptions;
  timestamp: Long | null | undefined;
  type: number;
  length: number;
}
export interface EncoderLike {
  protocolVersion: number;
}
type Write = (this: BatchRequestLike, encoder: EncoderLike, streamId: number) => Buffer;

const { BatchRequest } = require('cassandra-driver/lib/requests.js') as {
  BatchRequest: { prototype: { write: Write } };
};
const types = require('cassandra-driver/lib/types/index.js') as {
  FrameHeader: new (
    version: number,
    flags: number,
    streamId: number,
    opcode: number,
    bodyLength: number,
  ) => { toBuffer(): Buffer };
  protocolVersion: {
    uses4BytesQueryFlags(version: number): boolean;
    supportsKeyspaceInRequest(version: number): boolean;
  };
  opcodes: { batch: number };
};

/** Protocol type codes (native protocol spec, section 6). */
const BIGINT = 0x02;
const BOOLEAN = 0x04;
const DOUBLE = 0x07;
const INT = 0x09;
const TEXT = 0x0a;
const VARCHAR = 0x0d;
const FLAG_SERIAL = 0x10;
const FLAG_TIMESTAMP = 0x20;
const FLAG_KEYSPACE = 0x80;

/** Byte lengths of the batch's strings, measured in the sizing pass and reused when writing. */
let strLens = new Int32Array(1024);

/**
 * Bytes of one bound value (without its 4-byte length), or -1 when the driver's own encoder must
 * handle it. `s` is the string's index in strLens.
 */
const valueSize = (v: unknown, code: number, s: number): number => {
  if (v === null) return 0;
  switch (typeof v) {
    case 'string': {
      if (code !== VARCHAR && code !== TEXT) return -1;
      const n = Buffer.byteLength(v, 'utf8');
      if (s >= strLens.length) {
        const grown = new Int32Array(strLens.length * 2);
        grown.set(strLens);
        strLens = grown;
      }
      strLens[s] = n;
      return n;
    }
    case 'number':
      if (code === DOUBLE) return 8;
      if (code === BIGINT) return Number.isSafeInteger(v) ? 8 : -1;
      if (code === INT) return Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 ? 4 : -1;
      return -1;
    case 'boolean':
      return code === BOOLEAN ? 1 : -1;
    default:
      return v instanceof Buffer ? v.length : -1;
  }
};

/**
 * The frame the driver's BatchRequest.write would produce for `req`, or undefined when the request is
 * outside this encoder's scope (see the file comment). Sets req.length as the driver does.
 */
export const encodeBatch = (
  req: BatchRequestLike,
  encoder: EncoderLike,
  streamId: number,
): Buffer | undefined => {
  const version = encoder.protocolVersion;
  const queries = req.queries;
  const opts = req.options;
  if (version < 3 || queries.length === 0 || opts.isQueryTracing() || opts.getCustomPayload())
    return undefined;
  // Sizing pass: also decides whether every value is ours to encode.
  let body = 1 + 2; // type, count
  let s = 0;
  for (const item of queries) {
    const id = item.queryId;
    const cols = item.meta?.columns;
    const params = item.params ?? [];
    if (id === undefined || cols === undefined || params.length > cols.length) return undefined;
    body += 1 + 2 + id.length + 2;
    for (let i = 0; i < params.length; i++) {
      const v = params[i];
      const n = valueSize(v, cols[i]!.type.code, s);
      if (n < 0) return undefined;
      if (typeof v === 'string') s++;
      body += 4 + n;
    }
  }
  const serial = opts.getSerialConsistency();
  const ts = req.timestamp;
  const keyspace = opts.getKeyspace();
  let flags = serial ? FLAG_SERIAL : 0;
  if (ts !== null && ts !== undefined) flags |= FLAG_TIMESTAMP;
  const withKeyspace =
    keyspace !== undefined && keyspace !== '' && types.protocolVersion.supportsKeyspaceInRequest(version);
  if (withKeyspace) flags |= FLAG_KEYSPACE;
  const wideFlags = types.protocolVersion.uses4BytesQueryFlags(version);
  const ksLen = withKeyspace ? Buffer.byteLength(keyspace, 'utf8') : 0;
  body +=
    2 +
    (wideFlags ? 4 : 1) +
    (flags & FLAG_SERIAL ? 2 : 0) +
    (flags & FLAG_TIMESTAMP ? 8 : 0) +
    (withKeyspace ? 2 + ksLen : 0);

  const header = new types.FrameHeader(version, 0, streamId, types.opcodes.batch, body).toBuffer();
  const buf = Buffer.allocUnsafe(header.length + body);
  header.copy(buf, 0);
  let o = header.length;
  o = buf.writeUInt8(req.type, o);
  o = buf.writeUInt16BE(queries.length, o);
  s = 0;
  for (const item of queries) {
    const id = item.queryId!;
    const cols = item.meta!.columns;
    const params = item.params ?? [];
    o = buf.writeUInt8(1, o);
    o = buf.writeUInt16BE(id.length, o);
    o += id.copy(buf, o);
    o = buf.writeUInt16BE(params.length, o);
    for (let i = 0; i < params.length; i++) {
      const v = params[i];
      if (v === null) {
        o = buf.writeInt32BE(-1, o);
      } else if (typeof v === 'string') {
        o = buf.writeInt32BE(strLens[s++]!, o);
        o += buf.write(v, o, 'utf8');
      } else if (typeof v === 'number') {
        const code = cols[i]!.type.code;
        if (code === DOUBLE) {
          o = writeDoubleValue(buf, v, o);
        } else if (code === BIGINT) {
          o = writeBigintValue(buf, v, o);
        } else {
          o = buf.writeInt32BE(4, o);
          o = buf.writeInt32BE(v, o);
        }
      } else if (typeof v === 'boolean') {
        o = buf.writeInt32BE(1, o);
        o = buf.writeUInt8(v ? 1 : 0, o);
      } else {
        const b = v as Buffer;
        o = buf.writeInt32BE(b.length, o);
        o += b.copy(buf, o);
      }
    }
  }
  o = buf.writeUInt16BE(opts.getConsistency(), o);
  o = wideFlags ? buf.writeInt32BE(flags, o) : buf.writeUInt8(flags, o);
  if (flags & FLAG_SERIAL) o = buf.writeUInt16BE(serial!, o);
  if (flags & FLAG_TIMESTAMP) {
    o = buf.writeInt32BE(ts!.high, o);
    o = buf.writeInt32BE(ts!.low, o);
  }
  if (withKeyspace) {
    o = buf.writeUInt16BE(ksLen, o);
    o += buf.write(keyspace, o, 'utf8');
  }
  if (o !== buf.length) throw new Error(`batch encoder wrote ${o} of ${buf.length} bytes`);
  req.length = body;
  return buf;
};

/** The driver's own write, kept for everything outside encodeBatch's scope (and for tests). */
export const driverBatchWrite: Write = BatchRequest.prototype.write;

function fastWrite(this: BatchRequestLike, encoder: EncoderLike, streamId: number): Buffer {
  return encodeBatch(this, encoder, streamId) ?? driverBatchWrite.call(this, encoder, streamId);
}

/**
 * Turns the one-buffer encoder on (cassandra-store.ts does when loaded) or off (benchmarks compare). It
 * applies to every Client in the process: the driver encodes all batches through one prototype.
 */
export const setFastBatchEncoding = (on: boolean): void => {
  BatchRequest.prototype.write = on ? fastWrite : driverBatchWrite;
};
