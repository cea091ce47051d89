export { BusLogCorruptError } from './log-errors.ts';
export { type DurableBusOptions, MemoryBus, type MemoryBusOptions } from './memory-bus.ts';
