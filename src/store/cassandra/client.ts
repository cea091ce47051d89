// Driver options from `store.cassandra` config: contact points, local DC (the driver's default
// load-balancing policy is token-aware over DC-aware round robin in that DC), credentials
// (PlainTextAuthProvider) and TLS (sslOptions). Writes and reads use LOCAL_QUORUM so that, with a
// replication factor of 3, a read after a write sees it even when one replica is down.
import { readFileSync } from 'node:fs';
import { auth, type ClientOptions, types } from 'cassandra-driver';
import type { Config } from '../../config.ts';
import { TickstreamError } from '../../domain/errors.ts';

export type CassandraConfig = Config['store']['cassandra'];

const readPem = (file: string | undefined, what: string): Buffer | undefined => {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (cause) {
    throw new TickstreamError('CONFIG_INVALID', `store.cassandra.tls.${what}: cannot read ${file}`, {
      cause,
    });
  }
};

export const clientOptions = (cfg: CassandraConfig): ClientOptions => {
  const options: ClientOptions = {
    // 'host' or 'host:port'; the driver accepts both.
    contactPoints: cfg.contactPoints,
    localDataCenter: cfg.localDataCenter,
    queryOptions: {
      consistency: types.consistencies.localQuorum,
      prepare: true,
      // Every write is an upsert keyed deterministically: safe for the driver to retry.
      isIdempotent: true,
      fetchSize: 5000,
    },
    pooling: {
      // Two connections to each local host: one socket's event-loop work (coalescing, framing)
      // is not the bottleneck on the node, and a slow response does not stall the other.
      coreConnectionsPerHost: { [types.distance.local]: 2, [types.distance.remote]: 1 },
      maxRequestsPerConnection: 2048,
    },
    socketOptions: { connectTimeout: 5000, readTimeout: 12_000 },
    protocolOptions: { maxSchemaAgreementWaitSeconds: 30 },
  };
  if (cfg.username !== undefined) {
    options.authProvider = new auth.PlainTextAuthProvider(cfg.username, cfg.password ?? '');
  }
  if (cfg.tls.enabled) {
    const ca = readPem(cfg.tls.caFile, 'caFile');
    const cert = readPem(cfg.tls.certFile, 'certFile');
    const key = readPem(cfg.tls.keyFile, 'keyFile');
    options.sslOptions = {
      rejectUnauthorized: cfg.tls.rejectUnauthorized,
      ...(ca === undefined ? {} : { ca }),
      ...(cert === undefined ? {} : { cert }),
      ...(key === undefined ? {} : { key }),
    };
  }
  return options;
};
