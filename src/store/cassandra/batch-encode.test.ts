// The one-buffer BATCH encoder against the driver's own BatchRequest.write: for random batches of
// prepared statements over every type it encodes (and values it must leave to the driver), the frame
// bytes must be identical, or the request must go to the driver's write.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { types } from 'cassandra-driver';
import fc from 'fast-check';
import {
  type BatchRequestLike,
  driverBatchWrite,
  encodeBatch,
  setFastBatchEncoding,
} from './batch-encode.ts';

const require = createRequire(import.meta.url);
const { BatchRequest } = require('cassandra-driver/lib/requests.js') as {
  BatchRequest: new (
    queries: unknown[],
    options: unknown,
  ) => BatchRequestLike & { write: typeof driverBatchWrite };
};
const Encoder = require('cassandra-driver/lib/encoder.js') as new (
  version: number,
  options: object,
) => { protocolVersion: number };

const CODES = { bigint: 0x02, blob: 0x03, boolean: 0x04, double: 0x07, int: 0x09, text: 0x0a, varchar: 0x0d };
type Col = keyof typeof CODES;

/** A value of the column's type as the store binds it, or null. */
const boundValue = (col: Col): fc.Arbitrary<unknown> => {
  const v: Record<Col, fc.Arbitrary<unknown>> = {
    bigint: fc.oneof(
      fc.maxSafeInteger(),
      fc.constantFrom(0, -1, 2 ** 32, -(2 ** 32), 2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER),
    ),
    blob: fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)),
    boolean: fc.boolean(),
    double: fc.oneof(fc.double(), fc.constantFrom(-0, Number.NaN, Number.POSITIVE_INFINITY, 5e-324)),
    int: fc.integer({ min: -2147483648, max: 2147483647 }),
    text: fc.string({ unit: 'grapheme', maxLength: 20 }),
    varchar: fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 10 })),
  };
  return fc.oneof({ weight: 9, arbitrary: v[col] }, { weight: 1, arbitrary: fc.constant(null) });
};

const statement = fc
  .record({
    id: fc.uint8Array({ minLength: 1, maxLength: 16 }).map((u) => Buffer.from(u)),
    cols: fc.array(fc.constantFrom(...(Object.keys(CODES) as Col[])), { maxLength: 14 }),
  })
  .chain(({ id, cols }) =>
    fc.tuple(...cols.map(boundValue)).map((params) => ({
      queryId: id,
      query: 'INSERT …',
      params,
      meta: { columns: cols.map((c) => ({ type: { code: CODES[c] } })) },
    })),
  );

interface Opts {
  consistency: number;
  serial: number | undefined;
  timestamp: types.Long | undefined;
  keyspace: string | undefined;
  logged: boolean;
  tracing?: boolean;
  payload?: Record<string, Buffer>;
}
/** The ExecutionOptions methods BatchRequest reads (the driver builds these from a Client). */
const execOptions = (o: Opts) => ({
  getOrGenerateTimestamp: () => o.timestamp ?? null,
  getHints: () => undefined,
  isBatchCounter: () => false,
  isBatchLogged: () => o.logged,
  isQueryTracing: () => o.tracing === true,
  getCustomPayload: () => o.payload,
  getConsistency: () => o.consistency,
  getSerialConsistency: () => o.serial,
  getKeyspace: () => o.keyspace,
});
const opts = fc.record({
  consistency: fc.constantFrom(1, 6, 10),
  serial: fc.constantFrom(undefined, 8, 9),
  timestamp: fc
    .option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { nil: undefined })
    .map((b) => (b === undefined ? undefined : types.Long.fromString(b.toString()))),
  keyspace: fc.constantFrom(undefined, '', 'tickstream', 'ks_ü'),
  logged: fc.boolean(),
});
// v3, v4, v5 and the DSE versions (4-byte flags; keyspace in the request on DSE v2).
const version = fc.constantFrom(3, 4, 5, 0x41, 0x42);

test('encodeBatch: the same frame as the driver for every value the store binds', () => {
  fc.assert(
    fc.property(
      fc.array(statement, { minLength: 1, maxLength: 12 }),
      opts,
      version,
      fc.nat(32767),
      (qs, o, v, stream) => {
        const encoder = new Encoder(v, {});
        const driverReq = new BatchRequest(qs, execOptions(o));
        const expected = driverBatchWrite.call(driverReq, encoder, stream);
        const ours = new BatchRequest(qs, execOptions(o));
        const got = encodeBatch(ours, encoder, stream);
        assert.ok(got !== undefined, 'in scope');
        assert.deepEqual(got, expected);
        assert.equal(ours.length, driverReq.length);
      },
    ),
    { numRuns: 400 },
  );
});

test('encodeBatch: leaves what it does not encode to the driver; the installed write still matches it', () => {
  const col = (code: number) => ({ type: { code } });
  const base = execOptions({
    consistency: 1,
    serial: undefined,
    timestamp: undefined,
    keyspace: undefined,
    logged: false,
  });
  const out: [string, unknown[], BatchRequestLike['options']][] = [
    // The driver converts these (strings for numbers, a float or Long for bigint, truthy for boolean).
    [
      'a numeric string for a double',
      [{ queryId: Buffer.from([1]), params: ['1.5'], meta: { columns: [col(0x07)] } }],
      base,
    ],
    [
      'a fraction for a bigint',
      [{ queryId: Buffer.from([1]), params: [1.5], meta: { columns: [col(0x02)] } }],
      base,
    ],
    [
      'an unsafe integer for a bigint',
      [{ queryId: Buffer.from([1]), params: [2 ** 60], meta: { columns: [col(0x02)] } }],
      base,
    ],
    [
      'a Long for a bigint',
      [{ queryId: Buffer.from([1]), params: [types.Long.fromInt(5)], meta: { columns: [col(0x02)] } }],
      base,
    ],
    [
      'a number for a boolean',
      [{ queryId: Buffer.from([1]), params: [1], meta: { columns: [col(0x04)] } }],
      base,
    ],
    [
      'an unset value',
      [{ queryId: Buffer.from([1]), params: [types.unset], meta: { columns: [col(0x0d)] } }],
      base,
    ],
    [
      'an undefined value',
      [{ queryId: Buffer.from([1]), params: [undefined], meta: { columns: [col(0x0d)] } }],
      base,
    ],
    [
      'a type it does not know (timestamp)',
      [{ queryId: Buffer.from([1]), params: [new Date(5)], meta: { columns: [col(0x0b)] } }],
      base,
    ],
    [
      'an int out of range',
      [{ queryId: Buffer.from([1]), params: [2 ** 31], meta: { columns: [col(0x09)] } }],
      base,
    ],
    ['an unprepared statement', [{ query: 'INSERT …', params: ['x'] }], base],
    [
      'tracing',
      [{ queryId: Buffer.from([1]), params: ['x'], meta: { columns: [col(0x0d)] } }],
      { ...base, isQueryTracing: () => true },
    ],
    [
      'a custom payload',
      [{ queryId: Buffer.from([1]), params: ['x'], meta: { columns: [col(0x0d)] } }],
      { ...base, getCustomPayload: () => ({ k: Buffer.from('v') }) },
    ],
  ];
  const encoder = new Encoder(4, {});
  try {
    setFastBatchEncoding(true);
    for (const [what, qs, o] of out) {
      assert.equal(encodeBatch(new BatchRequest(qs, o), encoder, 7), undefined, what);
      // Through the installed write: the driver's bytes, or the driver's error.
      const viaDriver = (() => {
        try {
          return driverBatchWrite.call(new BatchRequest(qs, o), encoder, 7);
        } catch (e) {
          return e as Error;
        }
      })();
      const installed = (() => {
        try {
          return new BatchRequest(qs, o).write(encoder, 7);
        } catch (e) {
          return e as Error;
        }
      })();
      if (viaDriver instanceof Error) {
        assert.ok(installed instanceof Error, what);
        assert.equal(installed.message, viaDriver.message, what);
      } else assert.deepEqual(installed, viaDriver, what);
    }
    // And the installed write is the fast one for what it does encode.
    const q = [{ queryId: Buffer.from([1]), params: ['x'], meta: { columns: [col(0x0d)] } }];
    assert.deepEqual(
      new BatchRequest(q, base).write(encoder, 7),
      encodeBatch(new BatchRequest(q, base), encoder, 7),
    );
  } finally {
    setFastBatchEncoding(true);
  }
});

test('setFastBatchEncoding: off restores the driver write, on installs ours', () => {
  const proto = (BatchRequest as unknown as { prototype: { write: unknown } }).prototype;
  try {
    setFastBatchEncoding(false);
    assert.equal(proto.write, driverBatchWrite);
    setFastBatchEncoding(true);
    assert.notEqual(proto.write, driverBatchWrite);
  } finally {
    setFastBatchEncoding(true);
  }
});
