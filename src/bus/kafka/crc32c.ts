// CRC-32C of a record batch's covered bytes, shared by the batch reader and writer.
//
// The library's crc32c (native @node-rs/crc32 where installed) starts with `new Uint8Array(data)` for a
// plain Buffer, a copy of the whole batch; handed a DynamicBuffer of one chunk it passes the chunk as
// it is, which halves the time per batch (BENCHMARKS.md has the measurement).

import { crc32c, Writer } from '@platformatic/kafka';

export const crc32cOf = (bytes: Uint8Array): number =>
  crc32c(Writer.create().append(bytes as Buffer).dynamicBuffer);
