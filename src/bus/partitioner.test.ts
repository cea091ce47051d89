import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { murmur2 as platformaticMurmur2 } from '@platformatic/kafka';
import fc from 'fast-check';
import { murmur2, murmur2Bytes, partitionFor, toPositive } from './partitioner.ts';

// kafkajs is CommonJS; its DefaultPartitioner is a separate (Long-based) port of the Java client.
const require = createRequire(import.meta.url);
type KafkajsPartitioner = (args: {
  topic: string;
  partitionMetadata: { partitionId: number; leader: number }[];
  message: { key: string };
}) => number;
const { Partitioners } = require('kafkajs') as {
  Partitioners: { DefaultPartitioner: () => KafkajsPartitioner };
};
const kafkajsPartitioner = Partitioners.DefaultPartitioner();
const kafkajsPartitionFor = (key: string, n: number): number =>
  kafkajsPartitioner({
    topic: 't',
    partitionMetadata: Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 0 })),
    message: { key },
  });

// Code points spread over every UTF-8 length class (1 to 4 bytes) plus lone surrogates, so the ASCII
// fast path and the encoder fallback both get exercised (uniform code points are almost never < 0x800).
const mixedKey = fc
  .array(
    fc.oneof(
      fc.integer({ min: 0, max: 0x7f }),
      fc.integer({ min: 0x80, max: 0x7ff }),
      fc.integer({ min: 0x800, max: 0xffff }),
      fc.integer({ min: 0xd800, max: 0xdfff }),
      fc.integer({ min: 0x10000, max: 0x10ffff }),
    ),
    { maxLength: 24 },
  )
  .map((cps) => cps.map((cp) => String.fromCodePoint(cp)).join(''));

describe('murmur2', () => {
  it("matches Kafka's own UtilsTest.testMurmur2 vectors", () => {
    // From apache/kafka clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java.
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, expected] of cases) {
      assert.equal(murmur2(key), expected, key);
      assert.equal(murmur2Bytes(new TextEncoder().encode(key)), expected, key);
    }
  });

  it('hashes the empty key like the other implementations', () => {
    assert.equal(murmur2(''), platformaticMurmur2(Buffer.alloc(0)));
  });

  it('agrees with @platformatic/kafka on random keys (ASCII, Unicode, lone surrogates)', () => {
    const key = fc.oneof(
      fc.string({ unit: 'binary-ascii', maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      mixedKey,
    );
    fc.assert(
      fc.property(key, (k) => {
        assert.equal(murmur2(k), platformaticMurmur2(Buffer.from(k, 'utf8')));
      }),
      { numRuns: 2000 },
    );
  });

  it('hashes bytes ending at a length shorter than the buffer', () => {
    const bytes = new TextEncoder().encode('foobarXYZ');
    assert.equal(murmur2Bytes(bytes, 6), -790332482);
  });
});

describe('partitionFor', () => {
  it("agrees with kafkajs's DefaultPartitioner on random keys and partition counts", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 30 }), mixedKey),
        fc.integer({ min: 1, max: 257 }),
        (k, n) => {
          const p = partitionFor(k, n);
          assert.equal(p, kafkajsPartitionFor(k, n));
          assert.ok(p >= 0 && p < n);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('uses the sign-clearing toPositive, not Math.abs', () => {
    assert.equal(toPositive(-1), 0x7fffffff);
    assert.equal(toPositive(-2147483648), 0);
    // 'foobar' hashes to -790332482: & 0x7fffffff = 1357151166 = 7 * 193878738, so partition 0;
    // Math.abs would give 790332482 % 7 = 2.
    assert.equal(partitionFor('foobar', 7), 0);
    assert.equal(partitionFor('foobar', 1), 0);
  });

  it('rejects a non-positive or fractional partition count', () => {
    for (const n of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => partitionFor('k', n), { code: 'VALIDATION_FAILED' });
    }
  });
});
