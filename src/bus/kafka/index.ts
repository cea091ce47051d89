// The Kafka adapter of the Bus port.
//
// Client: @platformatic/kafka, chosen by measurement (bench/kafka-clients.bench.ts, two runs against the
// local Kafka 4.3.1 broker on this shared 2-core machine; acks=all, idempotent, 60-byte keyed values):
//   - produce, records/s, platformatic vs kafkajs: 1000-record sends 65k/100k vs 64k/64k; 5000-record
//     sends 112k/117k vs 68k/73k; gzip 50k/61k vs 46k/46k; zstd 84k/170k vs 74k/58k (kafkajs with a
//     node:zlib codec registered). Only platformatic has lz4 (75k/151k) and snappy (102k/148k) without
//     a native addon. It is never slower and up to ~3x faster.
//   - consume through each client's own group consumer: kafkajs' run loop was faster (0.56M–2.0M vs
//     0.45M–0.69M records/s; platformatic's stream builds a rich message object per record). This adapter
//     uses neither loop: its pull-driven Fetch + decode on platformatic measured 1.5M records/s
//     (kafka-bus-consume), so the consume side does not favour kafkajs here.
//   - it exposes what the port's semantics need: a pre-JoinGroup hook (`protocolsMetadata`, may return a
//     promise) to run onRevoke before partitions move, and a raw Fetch so fetching happens only when the
//     caller pulls. kafkajs has no rebalance callback that can delay the rejoin, pushes batches through
//     its own run loop, is unmaintained since 2023 and warns (TimeoutNegativeWarning) on Node 24.
//   - @confluentinc/kafka-javascript (librdkafka) is a native addon whose install downloads a prebuilt
//     binary: not installable on this machine, so not measured.
export { KafkaBus } from './kafka-bus.ts';
