import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { Health, HealthCheckResponse_ServingStatus } from '@tend/proto/grpc/health/v1/health';
import { ServiceIdentity, serviceTokenInterceptor } from '@tend/rpc';
import { compiledTendArgs } from '@tend/testing';
import { exportJWK, generateKeyPair } from 'jose';

/**
 * Shifts every e2e port, so two checkouts can run their suites on one machine at once.
 * @default 0
 */
const portOffset = Number(process.env.TEND_E2E_PORT_OFFSET ?? 0);

/** Ports the e2e suites use, away from a developer's running `npm start`. */
export const testPorts = {
  gateway: 18180 + portOffset,
  admin: 18400 + portOffset,
  voice: 18451 + portOffset,
  conversation: 18452 + portOffset,
  health: 18453 + portOffset,
  notification: 18454 + portOffset,
  external: 18455 + portOffset,
} as const;

export type TestPortName = keyof typeof testPorts;

/** Environment that puts every server of a spawned Tend on the test ports. */
export function testPortEnv(): Record<string, string> {
  return {
    GATEWAY_PORT: String(testPorts.gateway),
    ADMIN_PORT: String(testPorts.admin),
    VOICE_PORT: String(testPorts.voice),
    CONVERSATION_PORT: String(testPorts.conversation),
    HEALTH_PORT: String(testPorts.health),
    NOTIFICATION_PORT: String(testPorts.notification),
    EXTERNAL_PORT: String(testPorts.external),
  };
}

/** A `tend` process started as an operator would start it, with its output kept. */
export class TendProcess {
  output = '';
  readonly exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly dataDir: string,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Starts `tend <args>` with the test ports and a fresh data directory. */
  static async start(args: string[], env: Record<string, string> = {}): Promise<TendProcess> {
    const dataDir = await mkdtemp(join(tmpdir(), 'tend-e2e-'));
    const child = spawn(process.execPath, [...compiledTendArgs(), ...args], {
      env: {
        ...process.env,
        LOG_LEVEL: 'info',
        TEND_DATA_DIR: dataDir,
        ...testPortEnv(),
        // Cheap password hashes for all-in-one runs; distributed mode refuses the knob.
        ...(env.DATABASE_URL === undefined && { PASSWORD_HASH_TEST_LOG2N: '10' }),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new TendProcess(child, dataDir);
  }

  /** Resolves once `url` answers 200, or throws with the process output. */
  async waitForHttp(url: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`tend exited ${this.child.exitCode}:\n${this.output}`);
      try {
        if ((await fetch(url)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${url} not ready within ${timeoutMs} ms:\n${this.output}`);
  }

  /** Sends SIGTERM and resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    const code = await this.exited;
    await rm(this.dataDir, { recursive: true, force: true });
    return code;
  }
}

/**
 * `grpc.health.v1.Health/Check` over gRPC (h2c) on a port: the status's name, or `NOT_FOUND` when
 * the server does not know the service (the protocol's answer).
 */
export async function grpcHealth(port: number, service = ''): Promise<string> {
  const client = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
  try {
    const response = await client.check({ service }, { timeoutMs: 5000 });
    return HealthCheckResponse_ServingStatus[response.status];
  } catch (error) {
    if (ConnectError.from(error).code === Code.NotFound) return 'NOT_FOUND';
    throw error;
  }
}

/**
 * A service identity a test shares with the Tend it starts (`TEND_SERVICE_KEYS` in its env), so
 * the test may call internal gRPC ports as a service would; without it those ports refuse it.
 */
export async function testServiceIdentity(name = 'e2e'): Promise<{
  env: Record<string, string>;
  interceptor: ReturnType<typeof serviceTokenInterceptor>;
}> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const keys = JSON.stringify([{ ...(await exportJWK(privateKey)), kid: name }]);
  return { env: { TEND_SERVICE_KEYS: keys }, interceptor: serviceTokenInterceptor(new ServiceIdentity({ keys })) };
}

/**
 * An all-in-one Tend whose conversation service talks to a scripted model at `llmUrl`, with
 * timeouts short enough that a failing model hands over to the embedded brain within a second.
 */
export function startWithScriptedModel(llmUrl: string, env: Record<string, string> = {}): Promise<TendProcess> {
  return TendProcess.start(['serve', '--target=all'], {
    LLM_BASE_URL: llmUrl,
    LLM_MODEL: 'scripted',
    LLM_FIRST_TOKEN_TIMEOUT_MS: '1000',
    LLM_TIMEOUT_MS: '4000',
    ...env,
  });
}
