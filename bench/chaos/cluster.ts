import { freePort, type RealInfra } from '@tend/testing';
import { sharedClusterEnv } from '../../e2e/real-cluster.js';
import { TendProcess } from '../../e2e/tend-process.js';

/** One Tend process of the cluster, restartable on the same ports. */
export class Member {
  process: TendProcess | undefined;
  constructor(
    readonly target: string,
    readonly env: Record<string, string>,
    readonly probe: string,
  ) {}

  /** Starts the process and waits until its readiness probe answers 200. */
  async start(): Promise<void> {
    this.process = await TendProcess.start(['serve', `--target=${this.target}`], this.env);
    await this.process.waitForHttp(this.probe, 300_000);
  }

  async stop(): Promise<void> {
    await this.process?.stop();
  }
}

/**
 * The distributed Tend the faults hit: two health instances, one conversation, one notification
 * (the consumer whose alerts are counted) and two gateways on the ports the infra nginx balances.
 */
export interface ChaosCluster {
  healths: [Member, Member];
  conversation: Member;
  notification: Member;
  gateways: [Member, Member];
  start(): Promise<void>;
  stop(): Promise<void>;
  /** SIGKILLs every process still running, synchronously: for the runner's own exit. */
  kill(): void;
  /** Members whose process ended though no fault stopped it, each with the end of its output. */
  crashed(): string[];
  /** Every member's output so far, by a name such as `health-1`. */
  outputs(): Record<string, string>;
}

/** Lays out the cluster on fresh ports (the gateways on the two `gatewayPorts`); nothing runs until `start`. */
export async function chaosCluster(infra: RealInfra, gatewayPorts: number[]): Promise<ChaosCluster> {
  const shared = await sharedClusterEnv(infra, {
    KAFKA_BROKERS: infra.kafkaBrokers!.join(','),
    DATABASE_REPLICA_URLS: infra.replicaUrls.join(','),
    RATE_LIMIT_PER_MINUTE: '1000000',
    ACCESS_TOKEN_TTL_S: '7200',
    // CHAOS_LOG_LEVEL=info (with CHAOS_LOG_DIR) shows where a recovery's time went.
    LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? 'error',
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
  const url = (m: Member) => `http://127.0.0.1:${m.env[`${m.target.toUpperCase()}_PORT`]}`;
  const healths: [Member, Member] = [await member('health', {}), await member('health', {})];
  const healthUrls = { HEALTH_URLS: healths.map(url).join(',') };
  const conversation = await member('conversation', healthUrls);
  const notification = await member('notification', healthUrls);
  const upstreams = { ...healthUrls, CONVERSATION_URLS: url(conversation), NOTIFICATION_URLS: url(notification) };
  const [portA, portB] = gatewayPorts;
  if (portA === undefined || portB === undefined) throw new Error('chaos: needs two gateway ports');
  const gateways: [Member, Member] = [
    await member('gateway', upstreams, portA),
    await member('gateway', upstreams, portB),
  ];
  const all = [...healths, conversation, notification, ...gateways];
  return {
    healths,
    conversation,
    notification,
    gateways,
    async start() {
      // Health first (it migrates the shared schema the others read), then the rest at once.
      await Promise.all(healths.map((h) => h.start()));
      await Promise.all([conversation.start(), notification.start()]);
      await Promise.all(gateways.map((g) => g.start()));
    },
    async stop() {
      await Promise.all(all.map((m) => m.stop()));
    },
    crashed() {
      return all
        .filter((m) => m.process?.child.exitCode !== null || m.process.child.signalCode !== null)
        .map((m) => `${m.target} exited:\n${m.process?.output.slice(-2_000) ?? ''}`);
    },
    outputs() {
      const named = [
        ['health-1', healths[0]],
        ['health-2', healths[1]],
        ['conversation', conversation],
        ['notification', notification],
        ['gateway-1', gateways[0]],
        ['gateway-2', gateways[1]],
      ] as const;
      return Object.fromEntries(named.map(([name, m]) => [name, m.process?.output ?? '']));
    },
    kill() {
      for (const m of all) if (m.process?.child.exitCode === null) m.process.child.kill('SIGKILL');
    },
  };
}
