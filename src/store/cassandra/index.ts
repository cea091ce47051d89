// The Cassandra adapter of the Store port. src/app/adapters.ts loads it lazily (dynamic import) so the
// embedded default never loads cassandra-driver.
export { CassandraStore, type CassandraStoreOptions } from './cassandra-store.ts';
export type { CassandraConfig } from './client.ts';
