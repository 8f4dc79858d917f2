import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@tend/testing';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

/** The binaries of Debian's `prometheus` and `prometheus-alertmanager` (`scripts/infra.sh up monitoring`). */
export const monitoringBinaries = { prometheus: 'prometheus', alertmanager: 'prometheus-alertmanager' } as const;

/** Whether both binaries are on PATH; the suite says how to get them when not. */
export function monitoringInstalled(): boolean {
  return Object.values(monitoringBinaries).every(
    (binary) => spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0,
  );
}

/** One notification as Alertmanager's webhook sends it (version 4 of its JSON). */
export interface WebhookNotification {
  path: string;
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[];
}

/** A local HTTP endpoint that keeps every webhook notification it is sent, standing in for a pager. */
export class WebhookReceiver {
  readonly received: WebhookNotification[] = [];
  readonly #waiters: (() => void)[] = [];

  private constructor(
    readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<WebhookReceiver> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('webhook receiver has no port');
    const receiver = new WebhookReceiver(server, `http://127.0.0.1:${address.port}`);
    server.on('request', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Omit<WebhookNotification, 'path'>;
        receiver.received.push({ ...body, path: request.url ?? '' });
        for (const wake of receiver.#waiters.splice(0)) wake();
        response.writeHead(200).end();
      });
    });
    return receiver;
  }

  /** Resolves with the first notification that matches, or rejects after `timeoutMs`. */
  async waitFor(match: (n: WebhookNotification) => boolean, timeoutMs: number): Promise<WebhookNotification> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no matching notification within ${timeoutMs} ms: ${JSON.stringify(this.received)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** A server process of the monitoring (or logging) stack, with its output kept for failure messages. */
export class MonitoringProcess {
  output = '';

  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  /** `options` adds to the spawn: an environment, a user to run as. */
  static start(binary: string, args: string[], url: string, options: SpawnOptions = {}): MonitoringProcess {
    return new MonitoringProcess(spawn(binary, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] }), url);
  }

  /** Resolves once `path` answers 200, or throws with the process output. */
  async ready(path: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`exited ${this.child.exitCode}:\n${this.output}`);
      try {
        if ((await fetch(`${this.url}${path}`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`${this.url}${path} not ready within ${timeoutMs} ms:\n${this.output}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    await exited;
  }
}

/** What a test changes in the shipped configuration to run it on loopback, fast. */
export interface MonitoringStackOptions {
  /** host:port of each Tend target, by job name. */
  targets: Record<string, string>;
  /** Where the pager and ticket webhooks point (the receiver's base URL). */
  webhookUrl: string;
  /** Shorter `for` per alert name, so a test need not wait the production minute. */
  alertFor?: Record<string, string>;
}

interface AlertmanagerConfig {
  global?: Record<string, unknown>;
  route: { group_wait?: string; group_interval?: string; routes?: { group_wait?: string; group_interval?: string }[] };
  receivers: { name: string; webhook_configs?: { url: string }[]; email_configs?: Record<string, unknown>[] }[];
}

/**
 * Prometheus and Alertmanager running the repository's own rules (deploy/prometheus/alerts.yml)
 * and routing (deploy/alertmanager/alertmanager.yml), changed only where a test must: loopback
 * targets, a one-second scrape and evaluation interval, one-second grouping waits, the webhook
 * receivers pointed at a local endpoint and e-mail at a closed port.
 */
export class MonitoringStack {
  private constructor(
    readonly dir: string,
    readonly prometheus: MonitoringProcess,
    readonly alertmanager: MonitoringProcess,
  ) {}

  static async start(options: MonitoringStackOptions): Promise<MonitoringStack> {
    const dir = await mkdtemp(join(tmpdir(), 'tend-monitoring-'));
    const [promPort, amPort, closedPort] = [await freePort(), await freePort(), await freePort()];

    const rules = parseYaml(await readFile('deploy/prometheus/alerts.yml', 'utf8')) as {
      groups: { rules: { alert?: string; for?: string }[] }[];
    };
    for (const group of rules.groups) {
      for (const rule of group.rules) {
        const shorter = rule.alert ? options.alertFor?.[rule.alert] : undefined;
        if (shorter) rule.for = shorter;
      }
    }
    await writeFile(join(dir, 'alerts.yml'), stringifyYaml(rules));
    const prometheusConfig = {
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: [join(dir, 'alerts.yml')],
      alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] }] },
      scrape_configs: Object.entries(options.targets).map(([job, target]) => ({
        job_name: job,
        static_configs: [{ targets: [target], labels: { system: 'tend' } }],
      })),
    };
    await writeFile(join(dir, 'prometheus.yml'), stringifyYaml(prometheusConfig));

    const routing = parseYaml(await readFile('deploy/alertmanager/alertmanager.yml', 'utf8')) as AlertmanagerConfig;
    routing.global = { ...routing.global, smtp_smarthost: `127.0.0.1:${closedPort}`, smtp_require_tls: false };
    for (const route of [routing.route, ...(routing.route.routes ?? [])]) {
      route.group_wait = '1s';
      route.group_interval = '2s';
    }
    for (const receiver of routing.receivers) {
      for (const webhook of receiver.webhook_configs ?? []) webhook.url = `${options.webhookUrl}/${receiver.name}`;
    }
    await writeFile(join(dir, 'alertmanager.yml'), stringifyYaml(routing));

    const alertmanager = MonitoringProcess.start(
      monitoringBinaries.alertmanager,
      [
        `--config.file=${join(dir, 'alertmanager.yml')}`,
        `--storage.path=${join(dir, 'alertmanager-data')}`,
        `--web.listen-address=127.0.0.1:${amPort}`,
        '--cluster.listen-address=',
      ],
      `http://127.0.0.1:${amPort}`,
    );
    const prometheus = MonitoringProcess.start(
      monitoringBinaries.prometheus,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'prometheus-data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      `http://127.0.0.1:${promPort}`,
    );
    const stack = new MonitoringStack(dir, prometheus, alertmanager);
    try {
      await Promise.all([alertmanager.ready('/-/ready'), prometheus.ready('/-/ready')]);
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return stack;
  }

  /** The value of an instant query's first series, or undefined when it returns none. */
  async query(expr: string): Promise<string | undefined> {
    const response = await fetch(`${this.prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as { data?: { result?: { value: [number, string] }[] } };
    return body.data?.result?.[0]?.value[1];
  }

  async stop(): Promise<void> {
    await Promise.all([this.prometheus.stop(), this.alertmanager.stop()]);
    await rm(this.dir, { recursive: true, force: true });
  }
}
