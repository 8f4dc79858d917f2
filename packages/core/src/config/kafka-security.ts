import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { ConfigError } from '../errors/errors.js';

/** How Tend talks to the brokers, as Kafka's own `security.protocol` names it. */
export const kafkaSecurityProtocols = ['plaintext', 'ssl', 'sasl_plaintext', 'sasl_ssl'] as const;
export type KafkaSecurityProtocol = (typeof kafkaSecurityProtocols)[number];

/** SASL mechanisms Tend offers; SCRAM keeps the password off the wire, PLAIN relies on TLS. */
export const kafkaSaslMechanisms = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type KafkaSaslMechanism = (typeof kafkaSaslMechanisms)[number];

/** The broker connection's security settings (`KAFKA_SECURITY_PROTOCOL` and its kin). */
export interface KafkaSecurity {
  /** @default 'plaintext' */
  protocol?: KafkaSecurityProtocol;
  /** PEM file of the CA that signed the brokers' certificates. @default the system's CAs */
  caFile?: string;
  /** @default 'scram-sha-512' */
  saslMechanism?: KafkaSaslMechanism;
  username?: string;
  password?: string;
}

/** What the Kafka client's connection takes: TLS options and SASL credentials. */
export interface KafkaConnectionOptions {
  tls?: TlsOptions;
  sasl?: { mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string };
}

/**
 * The client connection options for `security`, checked at boot: a SASL protocol needs a user
 * name and password, a CA file must be readable, and TLS always verifies the broker's
 * certificate (there is no switch to turn that off). Events carry people's health data, so
 * anything but `plaintext` is for every network a third party can see.
 */
export function kafkaConnectionOptions(
  security: KafkaSecurity = {},
  readFile: (path: string) => Buffer = (path) => readFileSync(path),
): KafkaConnectionOptions {
  const protocol = security.protocol ?? 'plaintext';
  const options: KafkaConnectionOptions = {};
  if (protocol === 'ssl' || protocol === 'sasl_ssl') {
    let ca: Buffer | undefined;
    if (security.caFile) {
      try {
        ca = readFile(security.caFile);
      } catch (error) {
        throw new ConfigError('KAFKA_SSL_CA_FILE', `cannot be read (${(error as Error).message})`, { cause: error });
      }
    }
    options.tls = { rejectUnauthorized: true, ...(ca && { ca }) };
  } else if (security.caFile) {
    throw new ConfigError('KAFKA_SSL_CA_FILE', `is set but KAFKA_SECURITY_PROTOCOL is ${protocol}, which has no TLS`);
  }
  if (protocol === 'sasl_plaintext' || protocol === 'sasl_ssl') {
    if (!security.username) throw new ConfigError('KAFKA_SASL_USERNAME', `is required with ${protocol}`);
    if (!security.password) throw new ConfigError('KAFKA_SASL_PASSWORD', `is required with ${protocol}`);
    const mechanism = (security.saslMechanism ?? 'scram-sha-512').toUpperCase() as NonNullable<
      KafkaConnectionOptions['sasl']
    >['mechanism'];
    options.sasl = { mechanism, username: security.username, password: security.password };
  }
  return options;
}
