import { freePort, realInfra, requireInfra } from '@tend/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { registerPerson, sharedClusterEnv } from './real-cluster.js';
import { TendProcess } from './tend-process.js';

// Tend as a cluster runs it: every service its own process, events only through the real Kafka.
// Effects are asserted where a person sees them (a socket, an answer, an inbox), never readiness.
//
//   health ──Kafka──▶ gateway A, gateway B   (live feed: every gateway hears every event)
//          ──Kafka──▶ conversation 1, 2      (answer-cache invalidation: every instance hears it)
//          ──Kafka──▶ notification 1, 2      (alerts: one group, each event handled by one member)
const infra = realInfra();
const ready = requireInfra(
  'PostgreSQL, Redis and Kafka (TEST_DATABASE_URL, TEST_REDIS_URL, TEST_KAFKA_BROKERS)',
  infra.databaseUrl && infra.redisUrl && infra.kafkaBrokers,
);

interface Node {
  process: TendProcess;
  port: number;
  adminPort: number;
}

describe.runIf(ready)('events through the real Kafka between separate processes', () => {
  let shared: Record<string, string>;
  let health: Node;
  const conversations: Node[] = [];
  const notifications: Node[] = [];
  const gateways: Node[] = [];
  const url = (node: Node) => `http://127.0.0.1:${node.port}`;
  /** Every process started, kept from its spawn on, so none outlives a failed start. */
  const spawned: TendProcess[] = [];

  /** Starts `tend serve --target=<target>` on fresh ports and waits for its readiness. */
  async function start(target: string, env: Record<string, string> = {}): Promise<Node> {
    const port = await freePort();
    const adminPort = await freePort();
    const portVariable = `${target.toUpperCase()}_PORT`;
    const process = await TendProcess.start(['serve', `--target=${target}`], {
      ...shared,
      [portVariable]: String(port),
      ADMIN_PORT: String(adminPort),
      ...env,
    });
    spawned.push(process);
    const node = { process, port, adminPort };
    const probe = target === 'gateway' ? `http://127.0.0.1:${port}/readyz` : `http://127.0.0.1:${adminPort}/readyz`;
    await process.waitForHttp(probe, 180_000);
    return node;
  }

  beforeAll(async () => {
    shared = await sharedClusterEnv(infra, {
      KAFKA_BROKERS: infra.kafkaBrokers!.join(','),
      RATE_LIMIT_PER_MINUTE: '100000',
    });
    health = await start('health');
    const healthUrls = { HEALTH_URLS: url(health) };
    // Each conversation instance keeps its answers in a Redis database of its own, so each must
    // hear every health event itself: a shared cache would hide an instance that missed one.
    const ownRedis = (db: number) => ({ REDIS_URL: `${infra.redisUrl!.replace(/\/\d*$/, '')}/${db}` });
    const started = await Promise.all([
      start('conversation', { ...healthUrls, ...ownRedis(1) }),
      start('conversation', { ...healthUrls, ...ownRedis(2) }),
      start('notification', healthUrls),
      start('notification', healthUrls),
    ]);
    conversations.push(started[0], started[1]);
    notifications.push(started[2], started[3]);
    const notificationUrls = notifications.map(url).join(',');
    gateways.push(
      ...(await Promise.all(
        conversations.map((conversation) =>
          start('gateway', {
            ...healthUrls,
            CONVERSATION_URLS: url(conversation),
            NOTIFICATION_URLS: notificationUrls,
          }),
        ),
      )),
    );
  }, 600_000);

  afterAll(async () => {
    await Promise.all(spawned.map((process) => process.stop()));
  }, 120_000);

  it(
    'delivers a reading recorded through one gateway to the person’s socket on the other',
    { timeout: 120_000 },
    async () => {
      const [a, b] = gateways as [Node, Node];
      const token = await signUp(url(a), 'live');
      const { socket, frames } = await openSocket(`ws://127.0.0.1:${b.port}/ws`, token);
      try {
        await until(() => frames.find((f) => f.type === 'ready'));
        // A gateway's live feed reads from the newest offset once Kafka has assigned it its
        // partitions, a few seconds after it starts: a reading recorded before then is not
        // pushed (the inbox, not the socket, is the record). So readings are recorded until one
        // arrives; that one must arrive once.
        let pushed: Record<string, unknown> | undefined;
        let id = '';
        for (let attempt = 0; pushed === undefined && attempt < 20; attempt++) {
          const recorded = await post(url(a), '/vitals', token, { kind: 'heart_rate', value: 73 });
          expect(recorded.status).toBe(201);
          id = (recorded.json as { id: string }).id;
          pushed = await until(
            () => frames.find((f) => f.type === 'notification' && f.event === 'vital.recorded' && f.subject === id),
            3_000,
          ).catch(() => undefined);
        }
        expect(pushed, 'no reading reached the other gateway in 20 attempts').toBeDefined();
        expect(pushed!.data).toMatchObject({ vitalId: id, value: 73 });
        // Once, though both gateways and both topics carry the person's events.
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        expect(frames.filter((f) => f.event === 'vital.recorded' && f.subject === id)).toHaveLength(1);
      } finally {
        socket.close();
      }
    },
  );

  it('drops an answer cached in each of two conversation processes when a health event arrives', async () => {
    const token = await signUp(url(gateways[0]!), 'cache');
    const question = 'what was my heart rate this week?';
    const ask = async (gateway: Node) => {
      const created = await post(url(gateway), '/conversations', token, {});
      const id = (created.json as { id: string }).id;
      return async () => {
        const { status, json } = await post(url(gateway), `/conversations/${id}/messages`, token, { text: question });
        expect(status).toBe(200);
        return (json as { reply: { text: string } }).reply.text;
      };
    };
    // Gateway A talks to conversation 1 only, gateway B to conversation 2 only.
    const askers = await Promise.all(gateways.map(ask));
    const before = await Promise.all(askers.map((askOne) => askOne()));
    for (const answer of before) expect(answer).not.toMatch(/You have [1-9]/);
    // Cached in both (the same answer again, and no reading exists yet to change it).
    expect(await Promise.all(askers.map((askOne) => askOne()))).toEqual(before);

    // A reading recorded through the API: health's event is the only way either process can know.
    expect((await post(url(gateways[0]!), '/vitals', token, { kind: 'heart_rate', value: 64 })).status).toBe(201);
    for (const askOne of askers) {
      await expect.poll(askOne, { timeout: 30_000, interval: 200 }).toMatch(/You have 1 heart rate reading/);
    }
  });

  it('loses and repeats no alert when one of two notification consumers is killed mid-stream', async () => {
    const [a] = gateways as [Node, Node];
    const token = await signUp(url(a), 'alerts');
    const readings = 40;
    const ids: string[] = [];
    const urgent = async () => {
      const { status, json } = await get(url(a), '/notifications?limit=100', token);
      expect(status).toBe(200);
      return (json as { items: { kind: string; body: string }[] }).items.filter((n) => n.kind === 'urgent_reading');
    };
    // The group has settled and alerts flow before a consumer is killed: a kill during the
    // group's first join tests the join, not the loss of a member mid-stream.
    const first = await post(url(a), '/vitals', token, { kind: 'blood_pressure', systolic: 180, diastolic: 121 });
    expect(first.status).toBe(201);
    // On a miss, what the consumers said: a handler failing, a group that never formed.
    const alerted = (count: number) =>
      withOutput(
        notifications,
        expect.poll(async () => (await urgent()).length, { timeout: 90_000, interval: 500 }).toBe(count),
      );
    await alerted(1);
    for (let i = 0; i < readings; i++) {
      if (i === 10) notifications[0]!.process.child.kill('SIGKILL');
      // Each a hypertensive crisis: an urgent-reading alert, handled in the notification group.
      const recorded = await post(url(a), '/vitals', token, {
        kind: 'blood_pressure',
        systolic: 181 + i,
        diastolic: 121,
      });
      expect(recorded.status, `reading ${i}: ${JSON.stringify(recorded.json)}`).toBe(201);
      ids.push((recorded.json as { id: string }).id);
    }
    await alerted(readings + 1);
    // Settled: nothing redelivered after the rebalance adds a second copy.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    // Compared as the list of readings alerted, so a failure shows which is missing or repeated.
    const systolics = (await urgent()).map((n) => /(\d{3})\/121/.exec(n.body)?.[1] ?? n.body).sort();
    expect(systolics).toEqual(Array.from({ length: readings + 1 }, (_, i) => String(180 + i)));
  }, 240_000);
});

/**
 * Registers a person: set-up, not what these tests prove. A password hash (scrypt, N 2^17) can
 * take longer than the gateway's 10 s deadline on a 2-core machine under the load of a whole
 * run, and the gateway then answers 504; such a sign-up is tried again under a new address.
 */
async function signUp(base: string, name: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await registerPerson(base, name);
    } catch (error) {
      if (attempt >= 4 || !/^register: 504/.test((error as Error).message)) throw error;
    }
  }
}

/** Awaits `check`; when it fails, adds the end of each process's output to the error. */
async function withOutput(nodes: Node[], check: Promise<unknown>): Promise<void> {
  try {
    await check;
  } catch (error) {
    const logs = nodes.map((n, i) => `--- process ${i + 1}:\n${n.process.output.slice(-4_000)}`).join('\n');
    throw new Error(`${(error as Error).message}\n${logs}`, { cause: error });
  }
}

async function post(base: string, path: string, token: string, body: unknown) {
  const response = await fetch(`${base}/api/v1${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

async function get(base: string, path: string, token: string) {
  const response = await fetch(`${base}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

function openSocket(url: string, token: string): Promise<{ socket: WebSocket; frames: Record<string, unknown>[] }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, ['tend.v1', `bearer.${token}`]);
    const frames: Record<string, unknown>[] = [];
    socket.on('message', (data) =>
      frames.push(JSON.parse((data as Buffer).toString('utf8')) as Record<string, unknown>),
    );
    socket.once('open', () => resolve({ socket, frames }));
    socket.once('error', reject);
  });
}

async function until<T>(probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
