// wrk (Debian's `wrk`, C, one thread) drives the HTTP benchmarks: a Node load generator costs more
// CPU per request than a lean server, and on two shared cores it, not the server, would set the
// numbers. The same wrk run measures Tend and the bare Node baseline.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What one wrk run saw. */
export interface WrkResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Connect, read, write and timeout errors plus non-2xx/3xx answers. */
  errors: number;
}

/** One bounded wrk run against a loopback URL: `-t1 -c<connections> -d<seconds>s --latency`. */
export async function runWrk(options: {
  url: string;
  seconds: number;
  connections: number;
  headers?: Record<string, string>;
}): Promise<WrkResult> {
  const host = new URL(options.url).hostname;
  if (!/^127\.|^localhost$|^\[::1\]$/.test(host)) throw new Error(`wrk runs against loopback only, not ${host}`);
  const args = [
    '-t1',
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    '--latency',
    ...Object.entries(options.headers ?? {}).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
    options.url,
  ];
  const runOnce = () => run('wrk', args, { timeout: (options.seconds + 30) * 1000 });
  try {
    return parseWrk((await runOnce()).stdout);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await installWrk(error);
    return parseWrk((await runOnce()).stdout);
  }
}

/** Installs Debian's wrk when this runs as root (as scripts/infra.sh installs its servers). */
async function installWrk(cause: unknown): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('wrk is not installed: apt-get install -y wrk', { cause });
  console.log('installing wrk (apt-get) ...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-qq'], { env, maxBuffer: 16 * 1024 * 1024 });
  await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'wrk'], {
    env,
    maxBuffer: 16 * 1024 * 1024,
  });
}

/** The numbers of wrk's text report. */
export function parseWrk(text: string): WrkResult {
  const number = (pattern: RegExp): number => Number(pattern.exec(text)?.[1] ?? NaN);
  const latencyMs = (percent: string): number => {
    const match = new RegExp(`^\\s*${percent}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(text);
    if (!match) return NaN;
    const value = Number(match[1]);
    return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
  };
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const refused = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  const errors =
    (socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0) + Number(refused?.[1] ?? 0);
  return {
    requestsPerSecond: Math.round(number(/Requests\/sec:\s+([\d.]+)/)),
    p50Ms: latencyMs('50'),
    p99Ms: latencyMs('99'),
    requests: number(/(\d+) requests in/),
    errors,
  };
}
