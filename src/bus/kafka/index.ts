// The Kafka adapter of the Bus port.
//
// Client: @platformatic/kafka, chosen by measurement (bench/kafka-clients.bench.ts against the local
// Kafka 4.3.1 broker on this 2-core machine, acks=all, idempotent, 60-byte keyed values):
//   - produce: as fast as kafkajs with 1000-record sends (65k vs 64k records/s) and faster with 5000-record
//     sends (112k vs 68k); with compression it leads with every codec both have (gzip 50k vs 46k, zstd
//     84k vs 74k) and it also has lz4 (75k) and snappy (102k), which kafkajs lacks without native addons;
//   - consume: of the same order (0.45–0.65M vs 0.56–2.0M records/s through a group, noisy on a shared
//     machine); this adapter does not use either client's consumer loop anyway, only its Fetch;
//   - it exposes what the port's semantics need: a pre-JoinGroup hook (`protocolsMetadata`, may return a
//     promise) to run onRevoke before partitions move, and a raw Fetch so fetching happens only when the
//     caller pulls. kafkajs has no rebalance callback that can delay the rejoin, pushes batches through
//     its own run loop, is unmaintained since 2023 and warns (TimeoutNegativeWarning) on Node 24.
//   - @confluentinc/kafka-javascript (librdkafka) is a native addon whose install downloads a prebuilt
//     binary: not installable on this machine, so not measured.
export { KafkaBus } from './kafka-bus.ts';
