// Produce request encoding in-process (no broker): @platformatic/kafka's produceV11.createRequest next to
// ours (src/bus/kafka/produce-fast.ts), same run, same messages: 100 messages of 140-byte values, as
// the Producer hands them to the encoder (Buffer keys of 4-6 bytes, an empty header Map each, bigint
// timestamps 1 ms apart), one topic over 6 partitions, idempotent (producer id, epoch, sequences).
// Each call encodes the request and takes its bytes (`.buffer`), as the connection does.
// `-lz4` variants compress each partition's records with lz4 (the config's default compression).

import { type MessageRecord, NumericMap, produceV11 } from '@platformatic/kafka';
import { createRequest } from '../src/bus/kafka/produce-fast.ts';
import { rate, report } from './lib.ts';

const MESSAGES = 100;
const VALUE_BYTES = 140;
const PARTITIONS = 6;

const messages: MessageRecord[] = Array.from({ length: MESSAGES }, (_, i) => {
  const value = Buffer.alloc(VALUE_BYTES);
  for (let j = 0; j < VALUE_BYTES; j++) value[j] = (i * 31 + j * 7) & 0xff;
  return {
    topic: 'trades',
    partition: i % PARTITIONS,
    key: Buffer.from(`SYM${i % 37}`),
    value,
    headers: new Map<Buffer, Buffer>(),
    timestamp: 1_750_000_000_000n + BigInt(i),
  };
});

const sequences = new NumericMap();
for (let p = 0; p < PARTITIONS; p++) sequences.set(`trades:${p}`, 1000 * p);

let sink = 0;
for (const compression of ['none', 'lz4'] as const) {
  const options = { compression, producerId: 4242n, producerEpoch: 0, sequences };
  const suffix = compression === 'none' ? '' : `-${compression}`;
  // Same bytes first: a bench of two encoders that disagree would be meaningless.
  const a = produceV11.createRequest(-1, 15_000, messages, options).buffer;
  const b = createRequest(-1, 15_000, messages, options).buffer;
  if (!a.equals(b)) throw new Error(`encoders disagree (${compression})`);
  const library = rate(() => {
    sink += produceV11.createRequest(-1, 15_000, messages, options).buffer.length;
  }, MESSAGES);
  const fast = rate(() => {
    sink += createRequest(-1, 15_000, messages, options).buffer.length;
  }, MESSAGES);
  report(`kafka-produce-encode-library${suffix}`, Math.round(library), 'records/s');
  report(`kafka-produce-encode-fast${suffix}`, Math.round(fast), 'records/s');
  report(`kafka-produce-encode-speedup${suffix}`, fast / library, 'x');
}
if (sink === 0) console.log('unreachable');
