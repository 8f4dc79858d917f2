import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TendProcess, grpcHealth, testPorts } from './tend-process.js';

const grpcServices = {
  voice: 'tend.voice.v1.VoiceService',
  conversation: 'tend.conversation.v1.ConversationService',
  health: 'tend.health.v1.HealthService',
  notification: 'tend.notification.v1.NotificationService',
  external: 'tend.external.v1.ExternalService',
} as const;

describe('tend serve --target=all on embedded parts', () => {
  let tend: TendProcess;
  const gateway = `http://127.0.0.1:${testPorts.gateway}`;

  beforeAll(async () => {
    tend = await TendProcess.start(['serve', '--target=all']);
    await tend.waitForHttp(`${gateway}/readyz`);
  });

  afterAll(async () => {
    await tend?.stop();
  });

  it('answers liveness and readiness with the database checked', async () => {
    expect((await fetch(`${gateway}/healthz`)).status).toBe(200);
    const ready = await fetch(`${gateway}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, checks: { database: true } });
  });

  it.each(Object.entries(grpcServices))(
    'serves %s with gRPC health SERVING, per service and overall',
    async (name, fullName) => {
      const port = testPorts[name as keyof typeof grpcServices];
      expect(await grpcHealth(port)).toBe('SERVING');
      expect(await grpcHealth(port, fullName)).toBe('SERVING');
    },
  );

  it('answers NOT_FOUND for an unknown service name, as the health protocol says', async () => {
    expect(await grpcHealth(testPorts.health, 'tend.nope.v1.Nope')).toBe('NOT_FOUND');
  });

  it('exports the metrics an operator relies on, counting requests by route', async () => {
    await fetch(`${gateway}/`);
    const text = await (await fetch(`${gateway}/metrics`)).text();
    for (const name of [
      'tend_requests_total',
      'tend_request_duration_seconds',
      'tend_cache_requests_total',
      'tend_llm_calls_total',
      'tend_events_published_total',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(text).toContain(`# TYPE ${name}`);
    }
    expect(text).toMatch(/tend_requests_total\{service="gateway",method="GET \/",code="200"\} \d+/);
    expect(text).toMatch(/tend_requests_total\{service="health",method="Check",code="ok"\} \d+/);
  });

  it('writes JSON logs', () => {
    const lines = tend.output.split('\n').filter((line) => line.startsWith('{'));
    expect(lines.length).toBeGreaterThan(3);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', service: 'tend' });
  });

  it('stops on SIGTERM with exit code 0 and closes its ports', async () => {
    const began = Date.now();
    expect(await tend.stop()).toBe(0);
    expect(Date.now() - began).toBeLessThan(10_000);
    await expect(fetch(`${gateway}/healthz`)).rejects.toThrow();
  });
});

describe('tend serve --target=health', () => {
  it('runs the health module alone, with probes on the admin port', async () => {
    const tend = await TendProcess.start(['serve', '--target=health']);
    try {
      await tend.waitForHttp(`http://127.0.0.1:${testPorts.admin}/readyz`);
      expect(await grpcHealth(testPorts.health)).toBe('SERVING');
      for (const port of [
        testPorts.gateway,
        testPorts.voice,
        testPorts.conversation,
        testPorts.notification,
        testPorts.external,
      ]) {
        expect(await isListening(port), `port ${port}`).toBe(false);
      }
      const started = tend.output.split('\n').find((line) => line.includes('"msg":"starting"'));
      expect(JSON.parse(started!).modules).toEqual(['admin-http', 'database', 'cache', 'event-bus', 'health']);
    } finally {
      expect(await tend.stop()).toBe(0);
    }
  });
});

describe('bad configuration stops the process at start with one clear line', () => {
  it.each([
    [['serve', '--target=billing'], {}, 'unknown target "billing"'],
    [['serve'], { DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [['serve'], { DATABASE_URL: 'not a url' }, 'DATABASE_URL: "not a url" is not a valid URL'],
    [['serve'], { KAFKA_BROKERS: 'broker-without-port' }, 'KAFKA_BROKERS'],
    [['serve'], { GATEWAY_PORT: '99999' }, 'GATEWAY_PORT'],
    [['serve'], { LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [['serve', '--frobnicate'], {}, 'command line'],
    [
      ['serve', '--target=gateway'],
      { DATABASE_URL: 'postgres://tend:pw@127.0.0.1:1/tend' },
      'TEND_JWT_KEYS: is required when DATABASE_URL is set',
    ],
  ] as const)('%j with %j', async (args, env, message) => {
    const tend = await TendProcess.start([...args], env);
    const code = await tend.exited;
    expect(code).not.toBe(0);
    const lines = tend.output.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^tend: /);
    expect(lines[0]).toContain(message);
    await tend.stop();
  });

  it('prints the configuration a voice process reads, needing no gateway keys and masking secrets', async () => {
    const tend = await TendProcess.start(['config', '--print', '--target=voice'], {
      DATABASE_URL: 'postgres://tend:pw@127.0.0.1:1/tend',
      TEND_JWT_KEYS: 'private-signing-key',
    });
    expect(await tend.exited).toBe(0);
    expect(tend.output).toContain(`VOICE_PORT=${testPorts.voice}`);
    expect(tend.output).not.toContain('TEND_JWT_KEYS');
    expect(tend.output).not.toContain('private-signing-key');
    await tend.stop();
  });

  it('names the port when it is already in use', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(testPorts.health, '127.0.0.1', resolve));
    try {
      const tend = await TendProcess.start(['serve', '--target=health']);
      expect(await tend.exited).not.toBe(0);
      expect(tend.output).toContain(`tend: HEALTH_PORT: port ${testPorts.health} on 127.0.0.1 is already in use`);
      await tend.stop();
    } finally {
      blocker.close();
    }
  });
});

async function isListening(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch (error) {
    return !String((error as Error).cause).includes('ECONNREFUSED');
  }
}
