// Public surface of the store layer: the port (types and dayOf) and the embedded adapter.
// The application picks an adapter in one place; everything else depends only on `Store`.
export type { Checkpoint, FirmStatRow, FirmStats, Store, TimeRange } from './port.ts';
export { dayOf } from './port.ts';
export { SqliteStore } from './sqlite/sqlite-store.ts';
