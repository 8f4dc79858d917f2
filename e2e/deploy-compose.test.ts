import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, connect, type TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Validator, format } from '@cfworker/json-schema';
import { configTable } from '@tend/core';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The compose stack cannot be started here (no Docker), so its file is checked offline: against
 * the Compose Specification's schema, for the broker's TLS settings (the same as the test
 * broker's SASL_SSL listener that the Kafka TLS suites run against), and for the certificate
 * dev-cert.sh makes, which a Node TLS client (as Tend's Kafka client) must accept for `kafka`.
 */
const composeDir = join(import.meta.dirname, '..', 'deploy', 'compose');
const run = promisify(execFile);

/**
 * The Compose Specification's schema as Docker Compose itself validates with it: the one in
 * compose-go (the loader Compose is built on), fetched as a Go module by the Go toolchain.
 */
async function composeSpecSchema(): Promise<object> {
  const go = existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go';
  const { stdout } = await run(go, ['mod', 'download', '-json', 'github.com/compose-spec/compose-go/v2@v2.16.2'], {
    cwd: tmpdir(),
    env: { ...process.env, GOFLAGS: '-mod=mod' },
  });
  const { Dir } = JSON.parse(stdout) as { Dir: string };
  return JSON.parse(await readFile(join(Dir, 'schema', 'compose-spec.json'), 'utf8')) as object;
}

interface Service {
  image?: string;
  environment?: Record<string, string | number>;
  volumes?: string[];
  command?: string[];
}

const compose = parse(await readFile(join(composeDir, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const kafka = compose.services.kafka!;
const tendServices = Object.entries(compose.services).filter(([, s]) => s.image?.includes('TEND_IMAGE'));

/** The broker's properties as the apache/kafka image makes them from `KAFKA_*` variables. */
function brokerProperties(environment: Record<string, string | number>): Map<string, string> {
  const notProperties = new Set(['KAFKA_OPTS', 'KAFKA_HEAP_OPTS']);
  const properties = new Map<string, string>();
  for (const [name, value] of Object.entries(environment)) {
    if (!name.startsWith('KAFKA_') || notProperties.has(name)) continue;
    const key = name
      .slice('KAFKA_'.length)
      .replace(/(?<=[^_])_(?=[^_])/g, '.')
      .replace(/__/g, '_')
      .toLowerCase();
    properties.set(key, String(value));
  }
  return properties;
}

/** `NAME://host:port` entries of a listener list. */
function listeners(value: string | undefined): { name: string; host: string }[] {
  return (value ?? '').split(',').map((entry) => {
    const [name, rest] = entry.split('://') as [string, string];
    return { name, host: rest.slice(0, rest.lastIndexOf(':')) };
  });
}

describe('the compose stack (deploy/compose/docker-compose.yml)', () => {
  const broker = brokerProperties(kafka.environment ?? {});
  const protocolOf = new Map(
    (broker.get('listener.security.protocol.map') ?? '').split(',').map((pair) => pair.split(':') as [string, string]),
  );

  it('is a valid Compose file', async () => {
    // Compose's `duration` is Go's (`10s`, `1m30s`), not JSON Schema's ISO 8601 one (`PT10S`).
    format.duration = (value) => /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(value);
    const result = new Validator(await composeSpecSchema(), '2020-12', false).validate(compose);
    expect(result.valid, JSON.stringify(result.errors.slice(0, 5))).toBe(true);
  });

  it('lets the network reach the broker over SASL_SSL only; its other listeners are on its own loopback', () => {
    for (const { name, host } of listeners(broker.get('listeners'))) {
      if (host === '127.0.0.1') continue;
      expect(protocolOf.get(name), `listener ${name} on ${host || 'every address'}`).toBe('SASL_SSL');
    }
    for (const { name, host } of listeners(broker.get('advertised.listeners'))) {
      if (host !== '127.0.0.1') expect(protocolOf.get(name)).toBe('SASL_SSL');
    }
    expect(broker.get('sasl.enabled.mechanisms')).toBe('PLAIN');
    expect(kafka.volumes).toContain('./tls/kafka:/etc/kafka/secrets:ro');
    expect(kafka.command?.[0]).toContain('PlainLoginModule required user_tend=');
  });

  it('has every Tend process speak TLS to it, verify it against the dev CA and log in', () => {
    expect(tendServices.map(([name]) => name).sort()).toEqual(
      ['conversation', 'external', 'gateway-1', 'gateway-2', 'health', 'notification', 'voice'].sort(),
    );
    for (const [name, service] of tendServices) {
      const env = service.environment ?? {};
      expect(env, name).toMatchObject({
        KAFKA_BROKERS: 'kafka:9092',
        KAFKA_SECURITY_PROTOCOL: 'sasl_ssl',
        KAFKA_SASL_MECHANISM: broker.get('sasl.enabled.mechanisms')!.toLowerCase(),
        KAFKA_SASL_USERNAME: 'tend',
      });
      expect(env.KAFKA_SASL_PASSWORD).toMatch(/^\$\{KAFKA_SASL_PASSWORD:\?/);
      expect(service.volumes, name).toContain(`./tls/kafka/ca.pem:${env.KAFKA_SSL_CA_FILE}:ro`);
      // Every Kafka variable the stack gives Tend is one the configuration table declares.
      for (const variable of Object.keys(env).filter((v) => v.startsWith('KAFKA_'))) {
        expect(Object.keys(configTable), name).toContain(variable);
      }
    }
  });

  it.runIf(process.env.TEST_KAFKA_TLS_CA_FILE)(
    'configures the broker as the test broker’s SASL_SSL listener (scripts/infra.sh) is configured',
    async () => {
      const tested = new Map(
        (await readFile(join(dirname(dirname(process.env.TEST_KAFKA_TLS_CA_FILE!)), 'server.properties'), 'utf8'))
          .split('\n')
          .filter((line) => line.includes('=') && !line.startsWith('#'))
          .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const),
      );
      for (const key of ['sasl.enabled.mechanisms', 'ssl.keystore.type', 'ssl.enabled.protocols']) {
        expect(broker.get(key), key).toBe(tested.get(key));
      }
      expect(tested.get('listener.security.protocol.map')).toContain('SASL_SSL:SASL_SSL');
      expect(broker.get('ssl.client.auth') ?? 'none').toBe(tested.get('ssl.client.auth') ?? 'none');
    },
  );

  describe('dev-cert.sh', () => {
    let dir: string;
    afterAll(() => dir && rm(dir, { recursive: true, force: true }));

    it('makes a broker certificate a Node TLS client accepts for kafka against its CA, and for no other name', async () => {
      dir = await mkdtemp(join(tmpdir(), 'tend-dev-cert-'));
      await copyFile(join(composeDir, 'dev-cert.sh'), join(dir, 'dev-cert.sh'));
      await run('bash', [join(dir, 'dev-cert.sh')]);
      const files = join(dir, 'tls', 'kafka');
      const server = createServer({
        pfx: await readFile(join(files, 'broker.p12')),
        passphrase: await readFile(join(files, 'broker-password'), 'utf8'),
        minVersion: 'TLSv1.2',
      }).on('secureConnection', (socket: TLSSocket) => socket.end());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as { port: number }).port;
      const ca = await readFile(join(files, 'ca.pem'));
      const handshake = (servername: string) =>
        new Promise<void>((resolve, reject) => {
          const socket = connect({ host: '127.0.0.1', port, servername, ca, rejectUnauthorized: true }, () => {
            socket.end();
            resolve();
          }).on('error', reject);
        });
      try {
        await handshake('kafka');
        await expect(handshake('kafka.example')).rejects.toThrow(/altnames|Hostname/i);
      } finally {
        server.close();
      }
      // The CA's key is gone: nothing else can be signed with it.
      await expect(readFile(join(files, 'ca.key'))).rejects.toThrow();
    });
  });
});
