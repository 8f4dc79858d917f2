// Conversation turns under load, all-in-one, with the embedded brain: POST
// /api/v1/conversations/:id/messages through the gateway. Each turn reads the person and their
// medications (cached), runs the brain, calls its tool, stores both messages and an event.
// The load generator (autocannon) runs in this process, on the same two cores.
//   npm run bench:conversation             # [seconds=10] [connections=16] [fixed rate=500] [brain=embedded|llm]
// With `llm`, a local scripted OpenAI-compatible server answers every model call at once with a
// short streamed text, so the run measures what the service adds around a model.
import autocannon from 'autocannon';
import { ScriptedLlmServer } from '@tend/conversation/testing';
import { startAllInOne } from './all-in-one.js';

const [secondsArg = '10', connectionsArg = '16', rateArg = '500', brain = 'embedded'] = process.argv.slice(2);
const seconds = Number(secondsArg);
const connections = Number(connectionsArg);
const fixedRate = Number(rateArg);
const base = `http://127.0.0.1:18790`;

const llm = brain === 'llm' ? new ScriptedLlmServer() : undefined;
const llmUrl = await llm?.start();
const tend = await startAllInOne({
  gatewayPort: 18790,
  firstServicePort: 18761,
  env: llmUrl ? { LLM_BASE_URL: llmUrl, LLM_MODEL: 'scripted' } : {},
});
try {
  const registered = await post('/api/v1/auth/register', {
    email: `bench-${Date.now()}@example.test`,
    password: 'correct horse battery staple',
    displayName: 'Bench',
    timezone: 'Europe/Berlin',
  });
  const token = registered.accessToken as string;
  await post(
    '/api/v1/medications',
    { name: 'Metformin', dose: 500, unit: 'mg', schedule: { times: ['08:00', '20:00'] } },
    token,
  );
  const conversation = await post('/api/v1/conversations', {}, token);
  const turn = (text: string) => ({
    url: `${base}/api/v1/conversations/${conversation.id as string}/messages`,
    method: 'POST' as const,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
    connections,
  });
  await run({ ...turn('what can you do?'), duration: 2 }); // warm-up: JIT, caches
  const results: [string, autocannon.Result][] = [];
  const serverTimes: string[] = [];
  const measured = async (name: string, options: autocannon.Options) => {
    const before = await serverHistogram();
    const result = await run(options);
    serverTimes.push(`${name.padEnd(28)} server time: ${shareWithin(before, await serverHistogram())}`);
    return result;
  };
  for (const [name, text] of [
    ['a question (no tool)', 'what can you do?'],
    ['a reading (record_vital)', 'my heart rate is seventy two'],
    ['a summary (vital_summary)', 'what was my heart rate this week?'],
  ] as const) {
    results.push([name, await measured(name, { ...turn(text), duration: seconds })]);
  }
  const paced = await measured(`reading, fixed ${fixedRate}/s`, {
    ...turn('my heart rate is seventy two'),
    duration: seconds,
    overallRate: fixedRate,
  });
  console.log(`\nconversation turns, all-in-one, ${brain} brain, ${connections} connections, ${seconds} s each`);
  for (const [name, result] of results) console.log(line(name, result));
  console.log(line(`reading, fixed ${fixedRate}/s`, paced));
  console.log(`\nProcessConversation in the conversation service (its own histogram, gateway excluded):`);
  for (const serverTime of serverTimes) console.log(serverTime);
} finally {
  await tend.stop();
  await llm?.stop();
}

function run(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error: unknown, result) =>
      error
        ? reject(error instanceof Error ? error : new Error('autocannon failed', { cause: error }))
        : resolve(result),
    );
  });
}

function line(name: string, r: autocannon.Result): string {
  const l = r.latency;
  return `${name.padEnd(28)} ${Math.round(r.requests.average).toString().padStart(6)} req/s  p50 ${l.p50} ms  p97.5 ${l.p97_5} ms  p99 ${l.p99} ms  (${r.requests.total} requests, ${r.errors} errors, ${r.non2xx} non-2xx)`;
}

/** The conversation service's ProcessConversation latency histogram: cumulative count per bucket bound. */
async function serverHistogram(): Promise<Map<string, number>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const buckets = new Map<string, number>();
  for (const match of text.matchAll(/^tend_request_duration_seconds_bucket\{([^}]*)\} (\d+)/gm)) {
    const labels = match[1]!;
    if (!labels.includes('method="ProcessConversation"')) continue;
    buckets.set(/le="([^"]+)"/.exec(labels)![1]!, Number(match[2]));
  }
  return buckets;
}

/**
 * The share of the calls between two scrapes that finished within 10, 25, 30 and 50 ms, and the
 * server-time p50/p95/p99 estimated from the buckets as Prometheus's histogram_quantile does
 * (linear within the bucket that holds the quantile).
 */
function shareWithin(before: Map<string, number>, after: Map<string, number>): string {
  const count = (le: string) => (after.get(le) ?? 0) - (before.get(le) ?? 0);
  const total = count('+Inf');
  const bounds = [...after.keys()].filter((le) => le !== '+Inf').sort((a, b) => Number(a) - Number(b));
  const quantile = (q: number) => {
    let lower = 0;
    let below = 0;
    for (const le of bounds) {
      const within = count(le);
      if (within >= q * total)
        return lower + ((Number(le) - lower) * (q * total - below)) / Math.max(1, within - below);
      lower = Number(le);
      below = within;
    }
    return Number.POSITIVE_INFINITY;
  };
  const shares = ['0.01', '0.025', '0.03', '0.05'].map(
    (le) => `${((100 * count(le)) / Math.max(1, total)).toFixed(1)} % ≤ ${Number(le) * 1000} ms`,
  );
  const quantiles = [0.5, 0.95, 0.99].map((q) => `p${q * 100} ≈ ${(quantile(q) * 1000).toFixed(1)} ms`);
  return `${shares.join(', ')}; server ${quantiles.join(', ')}`;
}

async function post(path: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}
