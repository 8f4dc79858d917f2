/**
 * The shipped edge (deploy/nginx/nginx.conf) made runnable on loopback, so the file that ships
 * is the file that is tested: only addresses and paths change (gateway upstreams, listen ports,
 * the "sorry" server's port, certificate, logs and temp directories); every directive that
 * decides behaviour (TLS protocols, HSTS, hidden paths, limit_req, retries, timeouts) is kept
 * as written. Each rewrite must match the shipped text exactly, so an edit to the shipped file
 * that a rewrite no longer recognises fails loudly instead of testing something else.
 *
 *   node --import tsx scripts/infra/shipped-nginx.ts check   # `nginx -t` on the shipped file
 *
 * e2e/edge.test.ts starts it in front of real gateways with `startShippedEdge`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:https';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The shipped configuration, relative to the repository root. */
export const shippedNginxConf = resolve(import.meta.dirname, '../../deploy/nginx/nginx.conf');

/** Where the loopback copy listens and what it proxies to. */
export interface EdgeAddresses {
  /** Loopback ports of the gateways, in the order of the shipped `server gateway-N` lines. */
  gatewayPorts: number[];
  httpPort: number;
  httpsPort: number;
  sorryPort: number;
  /** Directory for logs, temp files, certificate and key. */
  dir: string;
}

/** `text` with `find` replaced, which must occur exactly once (`by` may use the regexp's groups). */
function replaceOnce(text: string, find: string | RegExp, by: string | ((...groups: string[]) => string)): string {
  const matches =
    typeof find === 'string'
      ? text.split(find).length - 1
      : (text.match(new RegExp(find.source, `${find.flags}g`)) ?? []).length;
  if (matches !== 1) throw new Error(`deploy/nginx/nginx.conf: expected exactly one ${String(find)}, found ${matches}`);
  return text.replace(find, typeof by === 'string' ? () => by : by);
}

/**
 * The shipped text with loopback addresses and scratch paths: pure, so what it changes can be
 * read here in one place.
 */
export function loopbackEdgeConfig(shipped: string, at: EdgeAddresses): string {
  let conf = shipped;
  conf = replaceOnce(conf, 'error_log /var/log/nginx/error.log warn;', `error_log ${at.dir}/error.log warn;`);
  conf = replaceOnce(
    conf,
    'access_log /var/log/nginx/access.log tend_json;',
    `access_log ${at.dir}/access.log tend_json;`,
  );
  at.gatewayPorts.forEach((port, i) => {
    conf = replaceOnce(conf, new RegExp(`server gateway-${i + 1}:8080 `), `server 127.0.0.1:${port} `);
  });
  if (/server gateway-\d+:/.test(conf)) throw new Error('deploy/nginx/nginx.conf names more gateways than were given');
  conf = replaceOnce(conf, 'server 127.0.0.1:8081 backup;', `server 127.0.0.1:${at.sorryPort} backup;`);
  conf = replaceOnce(conf, 'listen 127.0.0.1:8081;', `listen 127.0.0.1:${at.sorryPort};`);
  conf = replaceOnce(conf, 'listen 80 default_server;', `listen 127.0.0.1:${at.httpPort} default_server;`);
  conf = replaceOnce(conf, /listen 443 ([^;]*);/, (_all, rest) => `listen 127.0.0.1:${at.httpsPort} ${rest};`);
  conf = replaceOnce(conf, '/etc/nginx/tls/tls.crt;', `${at.dir}/tls.crt;`);
  conf = replaceOnce(conf, '/etc/nginx/tls/tls.key;', `${at.dir}/tls.key;`);
  // The compiled-in temp paths are under /var/lib/nginx; keep everything in the scratch dir.
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((kind) => `    ${kind}_temp_path ${at.dir}/tmp/${kind};`)
    .join('\n');
  conf = replaceOnce(conf, /^http \{$/m, `http {\n${temp}`);
  return conf;
}

async function prepare(at: EdgeAddresses): Promise<string> {
  await mkdir(join(at.dir, 'tmp'), { recursive: true, mode: 0o777 });
  for (const kind of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'])
    await mkdir(join(at.dir, 'tmp', kind), { recursive: true, mode: 0o777 });
  // A self-signed certificate for 127.0.0.1, valid for a day.
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    join(at.dir, 'tls.key'),
    '-out',
    join(at.dir, 'tls.crt'),
  ]);
  const conf = join(at.dir, 'nginx.conf');
  await writeFile(conf, loopbackEdgeConfig(await readFile(shippedNginxConf, 'utf8'), at));
  return conf;
}

/** `NGINX_BIN`, else Debian's /usr/sbin/nginx (what `scripts/infra.sh up nginx` installs). */
export function nginxBinary(): string {
  return process.env.NGINX_BIN ?? '/usr/sbin/nginx';
}

function nginxArgs(at: EdgeAddresses, conf: string): string[] {
  return ['-p', at.dir, '-e', join(at.dir, 'error.log'), '-c', conf, '-g', `daemon off; pid ${at.dir}/nginx.pid;`];
}

/** `nginx -t` on the shipped file (upstreams and paths made local); throws nginx's message. */
export async function checkShippedEdge(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tend-edge-check-'));
  try {
    const at = { gatewayPorts: [18081, 18082], httpPort: 18080, httpsPort: 18443, sorryPort: 18089, dir };
    const conf = await prepare(at);
    const { stderr } = await run(nginxBinary(), ['-t', ...nginxArgs(at, conf)]);
    return stderr;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A running loopback copy of the shipped edge. */
export interface ShippedEdge {
  readonly httpsUrl: string;
  readonly httpUrl: string;
  readonly certificate: string;
  readonly process: ChildProcess;
  /** `fetch` over HTTPS to the edge, trusting its self-signed certificate (up to 32 connections). */
  readonly fetch: (url: string, init?: RequestInit) => Promise<Response>;
  stop(): Promise<void>;
}

/**
 * A `fetch` that trusts `ca` (Node's global fetch takes no CA without a third-party dispatcher):
 * string bodies only, which is all the edge tests send.
 */
function fetchTrusting(ca: string): { fetch: ShippedEdge['fetch']; close(): void } {
  const agent = new Agent({ ca, keepAlive: true, maxSockets: 32 });
  const send = (url: string, init: RequestInit = {}) =>
    new Promise<Response>((done, fail) => {
      const headers = Object.fromEntries(new Headers(init.headers).entries());
      const outgoing = request(url, { agent, method: init.method ?? 'GET', headers }, (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', fail);
        incoming.on('end', () => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(incoming.headers))
            for (const one of [value ?? []].flat()) responseHeaders.append(name, one);
          const status = incoming.statusCode ?? 0;
          const body = status === 204 || status === 304 ? null : Buffer.concat(chunks);
          done(new Response(body, { status, headers: responseHeaders }));
        });
      });
      outgoing.on('error', fail);
      outgoing.end(typeof init.body === 'string' ? init.body : undefined);
    });
  return { fetch: send, close: () => agent.destroy() };
}

/** Starts the shipped edge on loopback in front of `gatewayPorts`; resolves once it answers. */
export async function startShippedEdge(ports: Omit<EdgeAddresses, 'dir'>): Promise<ShippedEdge> {
  const dir = await mkdtemp(join(tmpdir(), 'tend-edge-'));
  const at = { ...ports, dir };
  const conf = await prepare(at);
  const child = spawn(nginxBinary(), nginxArgs(at, conf), { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise((done) => child.once('exit', done));
  const httpUrl = `http://127.0.0.1:${at.httpPort}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited ${child.exitCode}: ${output}`);
    try {
      if ((await fetch(`${httpUrl}/nginx-health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`nginx did not answer within 15 s: ${output}`);
    await new Promise((done) => setTimeout(done, 100));
  }
  const certificate = await readFile(join(dir, 'tls.crt'), 'utf8');
  const client = fetchTrusting(certificate);
  return {
    httpsUrl: `https://127.0.0.1:${at.httpsPort}`,
    httpUrl,
    certificate,
    process: child,
    fetch: client.fetch,
    async stop() {
      client.close();
      if (child.exitCode === null) child.kill('SIGQUIT');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename) && process.argv[2] === 'check') {
  checkShippedEdge().then(
    (message) => process.stdout.write(message),
    (error: unknown) => {
      const failure = error as { stderr?: string; message?: string };
      process.stderr.write(`${failure.stderr ?? failure.message ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
