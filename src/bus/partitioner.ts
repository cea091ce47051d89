// Kafka's default partitioner for keyed records, so the in-process bus puts every key on the same
// partition a real Kafka producer would (Java client, kafkajs DefaultPartitioner, platformatic's
// compatibility partitioner): murmur2 over the key's UTF-8 bytes, then `(h & 0x7fffffff) % n`.
//
// Keys are hashed without allocating: ASCII keys (symbols, user ids) are hashed straight from their
// UTF-16 code units (which equal their UTF-8 bytes); other keys are encoded into one reused buffer.
// Lone surrogates encode as U+FFFD (EF BF BD), as Node's Buffer.from(key) does in the JS clients.

import { TickstreamError } from '../domain/errors.ts';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

const encoder = new TextEncoder();
let scratch = new Uint8Array(256);

/** One round of murmur2's body over the 4-byte little-endian word `k`. */
const mixWord = (h: number, word: number): number => {
  let k = Math.imul(word, M);
  k ^= k >>> 24;
  k = Math.imul(k, M);
  return Math.imul(h, M) ^ k;
};

/** Tail (1 to 3 trailing bytes, already packed little-endian into `tail`) and final avalanche. */
const finish = (h: number, tail: number, rest: number): number => {
  let x = h;
  if (rest > 0) x = Math.imul(x ^ tail, M);
  x ^= x >>> 13;
  x = Math.imul(x, M);
  x ^= x >>> 15;
  return x | 0;
};

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2) over bytes [0, length). Signed 32-bit. */
export const murmur2Bytes = (data: Uint8Array, length: number = data.length): number => {
  let h = (SEED ^ length) | 0;
  const length4 = length & ~3;
  for (let i = 0; i < length4; i += 4) {
    h = mixWord(h, data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
  }
  const rest = length & 3;
  let tail = 0;
  if (rest === 3) tail |= data[length4 + 2]! << 16;
  if (rest >= 2) tail |= data[length4 + 1]! << 8;
  if (rest >= 1) tail |= data[length4]!;
  return finish(h, tail, rest);
};

const murmur2Encoded = (key: string): number => {
  // A UTF-16 code unit encodes to at most 3 UTF-8 bytes.
  if (scratch.length < key.length * 3) scratch = new Uint8Array(key.length * 3);
  const { written } = encoder.encodeInto(key, scratch);
  return murmur2Bytes(scratch, written);
};

/** Kafka's murmur2 of the UTF-8 bytes of `key`. Signed 32-bit, as Java's `Utils.murmur2` returns. */
export const murmur2 = (key: string): number => {
  const length = key.length;
  // Fast path: while every code unit is ASCII, the UTF-8 length equals key.length and bytes = code units.
  let h = (SEED ^ length) | 0;
  const length4 = length & ~3;
  for (let i = 0; i < length4; i += 4) {
    const c0 = key.charCodeAt(i);
    const c1 = key.charCodeAt(i + 1);
    const c2 = key.charCodeAt(i + 2);
    const c3 = key.charCodeAt(i + 3);
    if ((c0 | c1 | c2 | c3) > 0x7f) return murmur2Encoded(key);
    h = mixWord(h, c0 | (c1 << 8) | (c2 << 16) | (c3 << 24));
  }
  const rest = length & 3;
  let tail = 0;
  for (let j = rest - 1; j >= 0; j--) {
    const c = key.charCodeAt(length4 + j);
    if (c > 0x7f) return murmur2Encoded(key);
    tail |= c << (8 * j);
  }
  return finish(h, tail, rest);
};

/** Kafka's `toPositive`: clears the sign bit (not Math.abs, so -1 maps to 0x7fffffff like Java). */
export const toPositive = (h: number): number => h & 0x7fffffff;

/** The partition Kafka's default partitioner picks for `key` on a topic with `partitions` partitions. */
export const partitionFor = (key: string, partitions: number): number => {
  if (!(partitions >= 1 && Number.isInteger(partitions))) {
    throw new TickstreamError(
      'VALIDATION_FAILED',
      `partition count must be a positive integer, got ${partitions}`,
    );
  }
  return toPositive(murmur2(key)) % partitions;
};
