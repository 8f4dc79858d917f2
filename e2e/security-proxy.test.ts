import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentKeys } from './real-cluster.js';
import { TendProcess, testPorts } from './tend-process.js';

// Rate limits per client behind a real proxy. Linux routes all of 127.0.0.0/8 to the loopback
// interface, so 127.0.0.2, .3, .10 and .11 are distinct addresses a socket can bind and connect
// from without any set-up: the gateway listens on 127.0.0.2, nginx connects to it from
// 127.0.0.3 (`proxy_bind`), and clients reach nginx from 127.0.0.10 and 127.0.0.11. To the
// gateway this is the same as a proxy on another host: the peer address is not the client's,
// and it is trusted only because TRUSTED_PROXIES names it — not because it is loopback (a direct
// caller from 127.0.0.1 is not trusted).
const gatewayHost = '127.0.0.2';
const proxyAddress = '127.0.0.3';
const perMinute = 5;

let tend: TendProcess;
let nginx: ChildProcess | undefined;
let nginxDir = '';
let nginxPort = 0;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startNginx(): Promise<void> {
  nginxDir = await mkdtemp(join(tmpdir(), 'tend-proxy-'));
  await mkdir(join(nginxDir, 'tmp'));
  nginxPort = await freePort();
  const conf = `
${process.getuid?.() === 0 ? 'user root root;' : ''}
worker_processes 1;
error_log ${nginxDir}/error.log warn;
pid ${nginxDir}/nginx.pid;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${nginxDir}/tmp/body;
  proxy_temp_path ${nginxDir}/tmp/proxy;
  fastcgi_temp_path ${nginxDir}/tmp/fastcgi;
  uwsgi_temp_path ${nginxDir}/tmp/uwsgi;
  scgi_temp_path ${nginxDir}/tmp/scgi;
  server {
    listen 127.0.0.1:${nginxPort};
    location / {
      proxy_pass http://${gatewayHost}:${testPorts.gateway};
      proxy_bind ${proxyAddress};
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header Host $host;
    }
  }
}
`;
  await writeFile(join(nginxDir, 'nginx.conf'), conf);
  nginx = spawn(
    'nginx',
    ['-p', nginxDir, '-e', join(nginxDir, 'error.log'), '-c', join(nginxDir, 'nginx.conf'), '-g', 'daemon off;'],
    {
      stdio: 'ignore',
    },
  );
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if ((await request({ via: 'proxy', from: '127.0.0.1', path: '/healthz' }).catch(() => 0)) === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('nginx did not start');
}

/** A request from a chosen local address, through nginx or straight to the gateway. */
function request(options: {
  via: 'proxy' | 'direct';
  from: string;
  path?: string;
  forwardedFor?: string;
}): Promise<number> {
  const [host, port] = options.via === 'proxy' ? ['127.0.0.1', nginxPort] : [gatewayHost, testPorts.gateway];
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host,
        port,
        localAddress: options.from,
        method: options.path ? 'GET' : 'POST',
        path: options.path ?? '/api/v1/auth/refresh',
        agent: false,
        headers: {
          'content-type': 'application/json',
          ...(options.forwardedFor && { 'x-forwarded-for': options.forwardedFor }),
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(options.path ? undefined : JSON.stringify({ refreshToken: 'not-a-token' }));
  });
}

/** Statuses of `count` anonymous refreshes made one after another. */
async function statuses(count: number, make: (i: number) => Promise<number>): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < count; i++) seen.push(await make(i));
  return seen;
}

describe('a gateway behind a proxy on another address', () => {
  beforeAll(async () => {
    tend = await TendProcess.start(['serve', '--target=all'], {
      LOG_LEVEL: 'warn',
      TEND_HOST: gatewayHost,
      TRUSTED_PROXIES: `${proxyAddress}/32`,
      RATE_LIMIT_PER_MINUTE: String(perMinute),
    });
    await tend.waitForHttp(`http://${gatewayHost}:${testPorts.gateway}/readyz`);
    await startNginx();
  }, 90_000);
  afterAll(async () => {
    nginx?.kill('SIGTERM');
    await tend?.stop();
    if (nginxDir) await rm(nginxDir, { recursive: true, force: true });
  });

  it('gives two clients behind the proxy a bucket each', async () => {
    const first = await statuses(perMinute + 1, () => request({ via: 'proxy', from: '127.0.0.10' }));
    expect(first).toContain(429);
    // The second client was never limited by the first one's requests.
    expect(await request({ via: 'proxy', from: '127.0.0.11' })).not.toBe(429);
  });

  it('keeps a client that forges X-Forwarded-For through the proxy in its own bucket', async () => {
    const forged = await statuses(perMinute + 1, (i) =>
      request({ via: 'proxy', from: '127.0.0.12', forwardedFor: `198.51.100.${i + 1}` }),
    );
    expect(forged).toContain(429);
    expect(await request({ via: 'proxy', from: '127.0.0.13' })).not.toBe(429);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const spoofed = await statuses(perMinute + 1, (i) =>
      request({ via: 'direct', from: '127.0.0.1', forwardedFor: `203.0.113.${i + 1}` }),
    );
    expect(spoofed).toContain(429);
  });

  it('limits anonymous /rpc callers by the address the proxy reports', async () => {
    const rpc = (from: string) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port: nginxPort,
            localAddress: from,
            method: 'POST',
            path: '/rpc/tend.health.v1.HealthService/GetUser',
            agent: false,
            headers: { 'content-type': 'application/json' },
          },
          (response) => {
            response.resume();
            response.on('end', () => resolve(response.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end('{}');
      });
    const first = await statuses(perMinute + 1, () => rpc('127.0.0.20'));
    expect(first[perMinute]).toBe(429);
    expect(await rpc('127.0.0.21')).toBe(401);
    expect(first.slice(0, perMinute)).toEqual(Array(perMinute).fill(401));
  });
});

describe('a gateway on a public address in distributed mode', () => {
  it('will not start without TRUSTED_PROXIES, and says so', async () => {
    const process = await TendProcess.start(['serve', '--target=gateway'], {
      // The deployment's keys are present, so the check under test is the one that stops the start.
      ...(await deploymentKeys()),
      TEND_HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://tend@127.0.0.1:1/tend',
    });
    expect(await process.exited).toBe(78);
    expect(process.output).toContain('TRUSTED_PROXIES');
    await process.stop();
  });
});
