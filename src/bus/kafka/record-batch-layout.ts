// Offsets and attribute bits of Kafka's record batch (magic 2), shared by the batch reader
// (record-batch-read.ts), the writer (record-batch-write.ts) and the consumer's fallback decode.
// The full layout is described in record-batch-write.ts.

/** Bytes of a batch before its records (the first record starts here). */
export const BATCH_HEADER_SIZE = 61;
/** Offset of the attributes field: the CRC-32C covers from here to the end of the batch. */
export const CRC_FROM = 21;
/** Attributes: compression codec (low 3 bits). */
export const COMPRESSION_MASK = 0x07;
/** Attributes: the broker set every record's time (the batch's max timestamp) on append. */
export const LOG_APPEND_TIME = 0x08;
/** Attributes: a transaction marker, not data. */
export const IS_CONTROL = 0x20;
