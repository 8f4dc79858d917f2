import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/errors.js';
import { kafkaConnectionOptions } from './kafka-security.js';

const pem = Buffer.from('-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----\n');
const files = (path: string): Buffer => {
  if (path === '/ca.pem') return pem;
  throw new Error(`ENOENT: ${path}`);
};

describe('Kafka connection security', () => {
  it('connects in plain text when nothing is configured', () => {
    expect(kafkaConnectionOptions()).toEqual({});
  });

  it('verifies the broker against the configured CA over TLS, never without verification', () => {
    expect(kafkaConnectionOptions({ protocol: 'ssl', caFile: '/ca.pem' }, files)).toEqual({
      tls: { rejectUnauthorized: true, ca: pem },
    });
    expect(kafkaConnectionOptions({ protocol: 'ssl' }, files)).toEqual({ tls: { rejectUnauthorized: true } });
  });

  it('sends SASL credentials with the mechanism Kafka names, over TLS for sasl_ssl', () => {
    expect(
      kafkaConnectionOptions(
        { protocol: 'sasl_ssl', caFile: '/ca.pem', saslMechanism: 'plain', username: 'tend', password: 's3cret' },
        files,
      ),
    ).toEqual({
      tls: { rejectUnauthorized: true, ca: pem },
      sasl: { mechanism: 'PLAIN', username: 'tend', password: 's3cret' },
    });
    expect(kafkaConnectionOptions({ protocol: 'sasl_plaintext', username: 'tend', password: 'x' }).sasl).toEqual({
      mechanism: 'SCRAM-SHA-512',
      username: 'tend',
      password: 'x',
    });
  });

  it('refuses at boot a SASL protocol without credentials, an unreadable CA, or a CA without TLS', () => {
    const variableOf = (security: Parameters<typeof kafkaConnectionOptions>[0]) => {
      try {
        kafkaConnectionOptions(security, files);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).variable;
      }
      throw new Error('expected a ConfigError');
    };
    expect(variableOf({ protocol: 'sasl_ssl', password: 'x' })).toBe('KAFKA_SASL_USERNAME');
    expect(variableOf({ protocol: 'sasl_ssl', username: 'tend' })).toBe('KAFKA_SASL_PASSWORD');
    expect(variableOf({ protocol: 'ssl', caFile: '/missing.pem' })).toBe('KAFKA_SSL_CA_FILE');
    expect(variableOf({ protocol: 'plaintext', caFile: '/ca.pem' })).toBe('KAFKA_SSL_CA_FILE');
  });
});
