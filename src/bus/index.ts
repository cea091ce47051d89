// Public surface of the bus: the port (types), the embedded adapter and Kafka's default partitioner.
export { MemoryBus, type MemoryBusOptions } from './memory/index.ts';
export { murmur2, partitionFor } from './partitioner.ts';
export {
  type Bus,
  type BusRecord,
  type ConsumeOptions,
  type Consumer,
  type ProduceRecord,
  type RecordBatch,
  type TopicPartition,
  tpKey,
} from './port.ts';
