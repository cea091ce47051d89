// A record's fields as a plain object with its value copied, for tests that compare records
// structurally: an adapter's records may compute `key` in a getter, which spreads and deepEqual skip.
import type { BusRecord } from './port.ts';

export const plainRecord = (r: BusRecord): BusRecord => ({
  topic: r.topic,
  partition: r.partition,
  offset: r.offset,
  key: r.key,
  value: new Uint8Array(r.value),
  timestamp: r.timestamp,
});
