// Client settings shared by the admin, producer and consumer clients, from `bus.kafka` in the config.
//
// TLS: `tls.enabled` turns it on; caFile/certFile/keyFile are read here (PEM) and passed to Node's
// tls.connect through @platformatic/kafka's `tls` option, with `rejectUnauthorized` as configured.
// SASL: mechanism plain / scram-sha-256 / scram-sha-512 with username and password, passed as the
// client's `sasl` option (it authenticates every connection, over TLS when enabled). Neither is
// exercised by the local stack (PLAINTEXT listener); both are plain pass-through of documented options.

import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { BaseOptions, SASLOptions } from '@platformatic/kafka';
import type { Config } from '../../config.ts';
import { TickstreamError } from '../../domain/errors.ts';

export type KafkaConfig = Config['bus']['kafka'];

const SASL_MECHANISMS = {
  plain: 'PLAIN',
  'scram-sha-256': 'SCRAM-SHA-256',
  'scram-sha-512': 'SCRAM-SHA-512',
} as const;

const readPem = (path: string | undefined, what: string): Buffer | undefined => {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (e) {
    throw new TickstreamError('CONFIG_INVALID', `bus.kafka.tls.${what}: cannot read ${path}`, { cause: e });
  }
};

export const tlsOptions = (cfg: KafkaConfig): TlsOptions | undefined => {
  if (!cfg.tls.enabled) return undefined;
  const tls: TlsOptions = { rejectUnauthorized: cfg.tls.rejectUnauthorized };
  const ca = readPem(cfg.tls.caFile, 'caFile');
  const cert = readPem(cfg.tls.certFile, 'certFile');
  const key = readPem(cfg.tls.keyFile, 'keyFile');
  if (ca !== undefined) tls.ca = ca;
  if (cert !== undefined) tls.cert = cert;
  if (key !== undefined) tls.key = key;
  return tls;
};

export const saslOptions = (cfg: KafkaConfig): SASLOptions | undefined =>
  cfg.sasl === undefined
    ? undefined
    : {
        mechanism: SASL_MECHANISMS[cfg.sasl.mechanism],
        username: cfg.sasl.username,
        password: cfg.sasl.password,
      };

/**
 * Options every client gets. Retries are few and short: a broker that stays down surfaces as a
 * retryable BUS_UNAVAILABLE, and the caller (the runtime's withRetry, the consumer's own loop) backs off.
 */
export const baseOptions = (cfg: KafkaConfig, role: string): BaseOptions => {
  const options: BaseOptions = {
    clientId: `${cfg.clientId}-${role}`,
    bootstrapBrokers: cfg.brokers,
    connectTimeout: 5000,
    timeout: 15_000,
    retries: 3,
    retryDelay: 250,
    metadataMaxAge: 30_000,
    autocreateTopics: false,
  };
  const tls = tlsOptions(cfg);
  if (tls !== undefined) options.tls = tls;
  const sasl = saslOptions(cfg);
  if (sasl !== undefined) options.sasl = sasl;
  return options;
};
