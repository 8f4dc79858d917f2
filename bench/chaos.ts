// npm run chaos [-- fault,...]: faults injected under steady mixed load, with nothing lost.
//
// A distributed Tend on the real infrastructure of scripts/infra.sh (`up all` first): two health
// instances, one conversation instance and two gateways behind the infra nginx, on PostgreSQL
// primary + replica, Redis and Kafka. For each fault, four people send a steady mix through nginx
// (record a reading, a chat turn, read their profile); the fault starts after a few seconds, lasts
// CHAOS_FAULT_SECONDS (default 10; the 30-60 s are a setting away), and the load goes on
// CHAOS_SETTLE_SECONDS (default 15) after it ends. Then, per fault:
//   requests   every request sent;
//   errors     answers ≥ 500 and failed connections (what the fault made unavoidable, counted);
//   lost       readings acknowledged (201) that are not in the primary database;
//   duplicated readings stored more than once (each request records a value no other does);
//   recovery   from the end of the fault to the last failed request after it (0: none failed).
// It exits 1 if anything acknowledged was lost, anything duplicated, or recovery took over 10 s.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort, realInfra } from '@tend/testing';
import { registerPerson, sharedClusterEnv } from '../e2e/real-cluster.js';
import { TendProcess } from '../e2e/tend-process.js';

const faultMs = Number(process.env.CHAOS_FAULT_SECONDS ?? 10) * 1000;
const settleMs = Number(process.env.CHAOS_SETTLE_SECONDS ?? 15) * 1000;
const warmMs = 3_000;
const recoveryBoundMs = 10_000;
const infraDir = process.env.TEND_INFRA_DIR ?? join(process.cwd(), '.infra');
const gatewayPorts = (process.env.TEND_INFRA_GATEWAY_PORTS ?? '18081,18082').split(',').map(Number);

const infra = realInfra();
if (!infra.databaseUrl || !infra.redisUrl || !infra.kafkaBrokers || !infra.nginxUrl || !infra.replicaUrls.length) {
  console.error('chaos: needs `bash scripts/infra.sh up all` and `eval "$(bash scripts/infra.sh env)"` first');
  process.exit(2);
}

/** One Tend process of the cluster, restartable on the same ports. */
class Member {
  process: TendProcess | undefined;
  constructor(
    readonly target: string,
    readonly env: Record<string, string>,
    readonly probe: string,
  ) {}

  async start(): Promise<void> {
    this.process = await TendProcess.start(['serve', `--target=${this.target}`], this.env);
    await this.process.waitForHttp(this.probe, 180_000);
  }

  async stop(): Promise<void> {
    await this.process?.stop();
  }
}

const shared = await sharedClusterEnv(infra, {
  KAFKA_BROKERS: infra.kafkaBrokers.join(','),
  DATABASE_REPLICA_URLS: infra.replicaUrls.join(','),
  RATE_LIMIT_PER_MINUTE: '1000000',
  LOG_LEVEL: 'error',
});
const member = async (target: string, env: Record<string, string>, port?: number): Promise<Member> => {
  const own = port ?? (await freePort());
  const admin = await freePort();
  const probe = target === 'gateway' ? `http://127.0.0.1:${own}/readyz` : `http://127.0.0.1:${admin}/readyz`;
  return new Member(
    target,
    { ...shared, [`${target.toUpperCase()}_PORT`]: String(own), ADMIN_PORT: String(admin), ...env },
    probe,
  );
};
const healths = [await member('health', {}), await member('health', {})];
const healthUrls = healths.map((h) => `http://127.0.0.1:${h.env.HEALTH_PORT}`).join(',');
const conversation = await member('conversation', { HEALTH_URLS: healthUrls });
const upstreams = {
  HEALTH_URLS: healthUrls,
  CONVERSATION_URLS: `http://127.0.0.1:${conversation.env.CONVERSATION_PORT}`,
};
const gateways = await Promise.all(gatewayPorts.map((port) => member('gateway', upstreams, port)));
const members = [...healths, conversation, ...gateways];

const pidOf = (file: string): number => Number(readFileSync(file, 'utf8').split('\n')[0]);
/** Starts a component again with scripts/infra.sh, without blocking the load meanwhile. */
const infraUp = async (component: string) => {
  const child = spawn('bash', ['scripts/infra.sh', 'up', component], { stdio: ['ignore', 'ignore', 'inherit'] });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`infra.sh up ${component} failed`);
};
const pgData = (name: string) => {
  const location = join(infraDir, 'pg.location');
  let base = join(infraDir, 'pg');
  try {
    base = readFileSync(location, 'utf8').trim();
  } catch {
    // the default place
  }
  return join(base, name);
};
/** Stops a server by its pid file and waits for it to be gone. */
const stopByPidFile = async (file: string, signal: NodeJS.Signals) => {
  const pid = pidOf(file);
  process.kill(pid, signal);
  for (let i = 0; i < 600; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(100);
  }
  throw new Error(`pid ${pid} did not stop`);
};

/** Each fault: how it starts, and how it ends (the thing it broke brought back). */
const faults: Record<string, { begin(): Promise<void>; end(): Promise<void> }> = {
  kafka: {
    begin: () => stopByPidFile(join(infraDir, 'kafka', 'kafka.pid'), 'SIGTERM'),
    end: () => infraUp('kafka'),
  },
  redis: {
    begin: () => stopByPidFile(join(infraDir, 'redis', 'redis.pid'), 'SIGTERM'),
    end: () => infraUp('redis'),
  },
  'replica-stopped': {
    begin: () => stopByPidFile(join(pgData('replica'), 'postmaster.pid'), 'SIGINT'),
    end: () => infraUp('pg'),
  },
  'primary-restarted': {
    begin: async () => {
      await stopByPidFile(join(pgData('primary'), 'postmaster.pid'), 'SIGINT');
      await infraUp('pg');
    },
    end: async () => undefined,
  },
  'health-killed': {
    begin: async () => {
      healths[0]!.process?.child.kill('SIGKILL');
      await healths[0]!.process?.exited;
    },
    end: () => healths[0]!.start(),
  },
  'gateway-terminated': {
    // The gateway drains its in-flight requests, then exits; nginx sends the rest to the other.
    begin: async () => {
      gateways[0]!.process?.child.kill('SIGTERM');
    },
    end: async () => {
      await gateways[0]!.process?.exited;
      await gateways[0]!.start();
    },
  },
};

interface Sent {
  done: number;
  status: number;
  vital?: { value: number; id?: string };
}

interface Person {
  index: number;
  id: string;
  headers: Record<string, string>;
  conversationId: string;
}

/** A person with a conversation, before any fault. */
async function newPerson(index: number, base: string): Promise<Person> {
  const token = await registerPerson(base, `chaos-${index}`);
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const me = (await (await fetch(`${base}/api/v1/me`, { headers })).json()) as { id: string };
  const created = await fetch(`${base}/api/v1/conversations`, { method: 'POST', headers, body: '{}' });
  return { index, id: me.id, headers, conversationId: ((await created.json()) as { id: string }).id };
}

/** One person's steady loop through nginx until `stop`: readings, chat turns and profile reads. */
async function load(who: Person, base: string, stop: AbortSignal, sent: Sent[]): Promise<void> {
  const { index, headers, conversationId } = who;
  let seq = 0;
  while (!stop.aborted) {
    seq += 1;
    const kind = seq % 4;
    const value = index * 100_000 + seq;
    const request =
      kind <= 1
        ? { path: '/vitals', method: 'POST', body: JSON.stringify({ kind: 'steps', value }) }
        : kind === 2
          ? {
              path: `/conversations/${conversationId}/messages`,
              method: 'POST',
              body: '{"text":"how many steps this week?"}',
            }
          : { path: '/me', method: 'GET', body: undefined };
    const entry: Sent = { done: 0, status: 0, ...(kind <= 1 && { vital: { value } }) };
    try {
      const response = await fetch(`${base}/api/v1${request.path}`, {
        method: request.method,
        headers,
        body: request.body,
        signal: AbortSignal.timeout(15_000),
      });
      entry.status = response.status;
      const text = await response.text();
      if (entry.vital && response.status === 201) entry.vital.id = (JSON.parse(text) as { id: string }).id;
    } catch {
      entry.status = 0;
    }
    entry.done = Date.now();
    sent.push(entry);
  }
}

interface Row {
  fault: string;
  requests: number;
  errors: number;
  lost: number;
  duplicated: number;
  recoveryMs: number;
}

async function run(name: string): Promise<Row> {
  const fault = faults[name];
  if (!fault) throw new Error(`unknown fault ${name} (${Object.keys(faults).join(', ')})`);
  const sent: Sent[] = [];
  const stop = new AbortController();
  const people = await Promise.all(Array.from({ length: 4 }, (_, i) => newPerson(i + 1, infra.nginxUrl!)));
  const loops = people.map((who) => load(who, infra.nginxUrl!, stop.signal, sent));
  await sleep(warmMs);
  await fault.begin();
  await sleep(faultMs);
  await fault.end();
  const ended = Date.now();
  await sleep(settleMs);
  stop.abort();
  await Promise.all(loops);
  const personIds = people.map((who) => who.id);

  const failed = (s: Sent) => s.status === 0 || s.status >= 500;
  const lastFailure = Math.max(ended, ...sent.filter((s) => failed(s) && s.done >= ended).map((s) => s.done));
  const acknowledged = sent.flatMap((s) => (s.vital?.id ? [s.vital.id] : []));
  const db = new pg.Client({ connectionString: infra.databaseUrl });
  await db.connect();
  try {
    const found = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM health.vitals WHERE id = ANY($1::uuid[])',
      [acknowledged],
    );
    const extra = await db.query<{ n: number }>(
      `SELECT coalesce(sum(copies - 1), 0)::int AS n FROM (
         SELECT count(*) AS copies FROM health.vitals WHERE user_id = ANY($1::uuid[]) GROUP BY user_id, value
       ) AS readings`,
      [personIds],
    );
    return {
      fault: name,
      requests: sent.length,
      errors: sent.filter(failed).length,
      lost: acknowledged.length - found.rows[0]!.n,
      duplicated: extra.rows[0]!.n,
      recoveryMs: lastFailure - ended,
    };
  } finally {
    await db.end();
  }
}

const chosen = (process.argv[2] ?? Object.keys(faults).join(',')).split(',');
const rows: Row[] = [];
try {
  await Promise.all(healths.map((h) => h.start()));
  await conversation.start();
  await Promise.all(gateways.map((g) => g.start()));
  for (const name of chosen) {
    rows.push(await run(name));
    console.log(JSON.stringify(rows.at(-1)));
  }
} finally {
  await Promise.all(members.map((m) => m.stop()));
}

console.log(`\nfaults of ${faultMs / 1000} s, load on for ${settleMs / 1000} s after each`);
console.log('| fault | requests | errors | lost | duplicated | recovery |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.fault} | ${r.requests} | ${r.errors} | ${r.lost} | ${r.duplicated} | ${(r.recoveryMs / 1000).toFixed(1)} s |`,
  );
}
const bad = rows.filter((r) => r.lost > 0 || r.duplicated > 0 || r.recoveryMs > recoveryBoundMs);
if (bad.length > 0) {
  console.error(`chaos: failed for ${bad.map((r) => r.fault).join(', ')}`);
  process.exit(1);
}
