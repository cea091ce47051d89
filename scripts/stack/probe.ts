// Readiness probe for the local stack: exits 0 when the service answers a real protocol request,
// 1 otherwise. An open port is not enough: Kafka accepts connections before its metadata is
// ready, and Cassandra before the CQL layer serves queries.
//   node scripts/stack/probe.ts kafka 127.0.0.1:9092
//   node scripts/stack/probe.ts cassandra 127.0.0.1:9042
import { Admin } from '@platformatic/kafka';
import { Client } from 'cassandra-driver';

const PROBE_TIMEOUT_MS = 5000;

async function probeKafka(address: string): Promise<string> {
  const admin = new Admin({
    clientId: 'stack-probe',
    bootstrapBrokers: [address],
    timeout: PROBE_TIMEOUT_MS,
    retries: 0,
  });
  try {
    const metadata = await admin.metadata({ topics: [] });
    return `kafka cluster ${metadata.id}, ${metadata.brokers.size} broker(s)`;
  } finally {
    await admin.close();
  }
}

async function probeCassandra(address: string): Promise<string> {
  const [host = '127.0.0.1', port = '9042'] = address.split(':');
  const client = new Client({
    contactPoints: [host],
    protocolOptions: { port: Number(port) },
    localDataCenter: 'datacenter1',
    socketOptions: { connectTimeout: PROBE_TIMEOUT_MS, readTimeout: PROBE_TIMEOUT_MS },
  });
  try {
    await client.connect();
    const rs = await client.execute('SELECT release_version FROM system.local');
    return `cassandra ${String(rs.first()?.get('release_version'))}`;
  } finally {
    await client.shutdown();
  }
}

async function main(): Promise<void> {
  const [service, address] = process.argv.slice(2);
  if (address === undefined || (service !== 'kafka' && service !== 'cassandra')) {
    process.stderr.write('usage: probe.ts kafka|cassandra HOST:PORT\n');
    process.exit(2);
  }
  const what = service === 'kafka' ? await probeKafka(address) : await probeCassandra(address);
  process.stdout.write(`${what}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`probe failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
