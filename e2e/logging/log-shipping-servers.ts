import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '@tend/testing';
import { MonitoringProcess } from '../monitoring/monitoring-servers.js';

/**
 * Where `bash deploy/logging/install.sh` puts the collector it builds and the OpenSearch node's
 * home it lays out (.ci/.tools, as the deploy checks keep their tools).
 */
export const loggingTools = {
  collector: resolve(process.env.TEND_OTELCOL ?? '.ci/.tools/bin/tend-otelcol'),
  opensearchHome: resolve(process.env.TEND_OPENSEARCH_HOME ?? '.ci/.tools/opensearch'),
} as const;

/** Whether both are installed; the suite says how to install them when not. */
export function loggingInstalled(): boolean {
  return existsSync(loggingTools.collector) && existsSync(join(loggingTools.opensearchHome, '.complete'));
}

/** The user OpenSearch runs as when the test runs as root: the node refuses to run as root. */
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

/** One hit of an OpenSearch search: the document as it was indexed. */
export interface SearchHit {
  _index: string;
  _source: Record<string, unknown>;
}

/**
 * A single-node OpenSearch 2.19 on loopback (free HTTP and transport ports), from the jars of
 * Maven Central, with its config, data and logs in a temporary directory removed on stop.
 */
export class OpenSearchNode {
  private constructor(
    readonly dir: string,
    readonly process: MonitoringProcess,
    readonly url: string,
  ) {}

  static async start(): Promise<OpenSearchNode> {
    const dir = await mkdtemp(join(tmpdir(), 'tend-opensearch-'));
    await mkdir(join(dir, 'config'));
    for (const file of ['opensearch.yml', 'log4j2.properties']) {
      await copyFile(join('deploy/logging/opensearch', file), join(dir, 'config', file));
    }
    // As root the node runs as nobody, who may not be able to reach a checkout under /root: it
    // gets its own copy of the home directory (about 45 MB).
    let home = loggingTools.opensearchHome;
    if (asRoot) {
      await cp(home, join(dir, 'home'), { recursive: true });
      home = join(dir, 'home');
      const chown = spawnSync('chown', ['-R', `${NOBODY}:${NOBODY}`, dir], { encoding: 'utf8' });
      if (chown.status !== 0) throw new Error(`chown ${dir}: ${chown.stderr}`);
    }
    const [httpPort, transportPort] = [await freePort(), await freePort()];
    const url = `http://127.0.0.1:${httpPort}`;
    const node = MonitoringProcess.start(
      'java',
      [
        '-Xms512m',
        '-Xmx512m',
        '-XX:+UseSerialGC',
        '-cp',
        `${home}/lib/*`,
        `-Dopensearch.path.home=${home}`,
        `-Dopensearch.path.conf=${join(dir, 'config')}`,
        '-Dopensearch.distribution.type=tar',
        '-Dopensearch.bundled_jdk=false',
        'org.opensearch.bootstrap.OpenSearch',
        `-Epath.data=${join(dir, 'data')}`,
        `-Epath.logs=${join(dir, 'logs')}`,
        `-Ehttp.port=${httpPort}`,
        `-Etransport.port=${transportPort}`,
      ],
      url,
      { cwd: dir, ...(asRoot && { uid: NOBODY, gid: NOBODY }) },
    );
    const started = new OpenSearchNode(dir, node, url);
    try {
      // About 25 s on a quiet 2-core machine, minutes when it is shared.
      await node.ready('/_cluster/health?wait_for_status=yellow&timeout=1s', 300_000);
    } catch (error) {
      await started.stop();
      throw error;
    }
    return started;
  }

  /** Documents of `index` that a `match` query on `field` finds, after a refresh. */
  async search(index: string, field: string, value: string): Promise<SearchHit[]> {
    const refresh = await fetch(`${this.url}/${index}/_refresh`, { method: 'POST' });
    if (refresh.status === 404) return [];
    const response = await fetch(`${this.url}/${index}/_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ size: 100, query: { match: { [field]: value } } }),
    });
    if (!response.ok) throw new Error(`search ${index}: ${response.status} ${await response.text()}`);
    const body = (await response.json()) as { hits: { hits: SearchHit[] } };
    return body.hits.hits;
  }

  /** The index's mapping, as OpenSearch made it from the documents it was sent. */
  async mapping(index: string): Promise<Record<string, unknown>> {
    const response = await fetch(`${this.url}/${index}/_mapping`);
    if (!response.ok) throw new Error(`mapping ${index}: ${response.status} ${await response.text()}`);
    const body = (await response.json()) as Record<string, { mappings: { properties: Record<string, unknown> } }>;
    return body[index]!.mappings.properties;
  }

  async stop(): Promise<void> {
    await this.process.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Where the shipper reads and writes, the only settings a test gives the shipped config. */
export interface LogShipperOptions {
  /** Glob of the files to tail. */
  files: string;
  opensearchUrl: string;
  index: string;
}

/**
 * The collector built from deploy/logging/collector running the shipped config
 * (deploy/logging/collector.yaml) unchanged; only its environment points it at the test's files
 * and node, and makes it read the files from their start.
 */
export function startLogShipper(options: LogShipperOptions): MonitoringProcess {
  return MonitoringProcess.start(
    loggingTools.collector,
    ['--config', resolve('deploy/logging/collector.yaml')],
    options.opensearchUrl,
    {
      env: {
        ...process.env,
        TEND_LOG_FILES: options.files,
        TEND_LOG_START_AT: 'beginning',
        OPENSEARCH_URL: options.opensearchUrl,
        TEND_LOG_INDEX: options.index,
      },
    },
  );
}
