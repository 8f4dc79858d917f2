import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScriptedLlmServer } from '@tend/conversation/testing';
import { requireInfra } from '@tend/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MonitoringProcess } from './monitoring/monitoring-servers.js';
import { OpenSearchNode, loggingInstalled, startLogShipper, type SearchHit } from './logging/log-shipping-servers.js';
import { registerPerson } from './real-cluster.js';
import { startWithScriptedModel, testPorts, type TendProcess } from './tend-process.js';

const installed = requireInfra(
  'The log collector and OpenSearch (`bash deploy/logging/install.sh` installs them)',
  loggingInstalled(),
);

const base = `http://127.0.0.1:${testPorts.gateway}`;
const index = 'logs-tend-e2e';
// A Kubernetes container log path: /var/log/pods/<namespace>_<pod>_<uid>/<container>/<restart>.log
const pod = { namespace: 'tend', name: 'tend-all-5d8f9c7b6-x2x4q', container: 'tend' };
const podLog = `var/log/pods/${pod.namespace}_${pod.name}_0c7e5a3e-8f1d-4e0b-9a54-2f6f1d9e3b21/${pod.container}/0.log`;

/**
 * Log shipping end to end with real parts: a Tend process whose stdout goes to a file (as a
 * systemd unit or compose writes it) and, wrapped as the container runtime writes it, to a
 * Kubernetes pod log; the collector built from deploy/logging/collector with the shipped
 * deploy/logging/collector.yaml tailing both; a real OpenSearch node; and a search by `trace.id`
 * that finds the request's lines under their ECS names.
 */
describe.runIf(installed)('log shipping: Tend’s log lines reach OpenSearch as ECS documents', () => {
  const llm = new ScriptedLlmServer();
  let dir = '';
  let tend: TendProcess;
  let opensearch: OpenSearchNode;
  let shipper: MonitoringProcess;
  const files: WriteStream[] = [];
  const traceId = randomBytes(16).toString('hex');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tend-logs-'));
    await mkdir(join(dir, podLog, '..'), { recursive: true });
    const plain = createWriteStream(join(dir, 'tend.log'));
    const cri = createWriteStream(join(dir, podLog));
    files.push(plain, cri);
    const node = OpenSearchNode.start();
    tend = await startWithScriptedModel(await llm.start(), { LOG_LEVEL: 'info' });
    let partial = '';
    tend.child.stdout!.on('data', (chunk: Buffer) => {
      plain.write(chunk);
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) cri.write(`${new Date().toISOString()} stdout F ${line}\n`);
    });
    // A crash before the logger exists writes plain text: it is shipped too, kept whole.
    plain.write('node:internal/modules/run_main:123 triggerUncaughtException(\n');
    await tend.waitForHttp(`${base}/readyz`);
    opensearch = await node;
    shipper = startLogShipper({ files: join(dir, '**', '*.log'), opensearchUrl: opensearch.url, index });
  }, 400_000);

  afterAll(async () => {
    await shipper?.stop();
    await tend?.stop();
    await opensearch?.stop();
    await llm.stop();
    for (const file of files) file.end();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('finds a request’s lines by trace.id, from both files, with ECS field names', async () => {
    // A conversation turn whose model call fails: the conversation service logs the failure, with
    // its error, inside the trace the request's traceparent started.
    const token = await registerPerson(base, 'Ada');
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch(`${base}/api/v1/conversations`, { method: 'POST', headers, body: '{}' });
    const { id } = (await created.json()) as { id: string };
    llm.script({ kind: 'fail', status: 400 }, { kind: 'fail', status: 400 });
    const turn = await fetch(`${base}/api/v1/conversations/${id}/messages`, {
      method: 'POST',
      headers: { ...headers, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
      body: JSON.stringify({ text: 'how did I sleep this week?' }),
    });
    expect(turn.status).toBe(200);

    // Tend wrote the line (the failure is logged as the turn falls back, maybe after the
    // response): the shipper has something to find.
    const written = await waitForOutput(tend, traceId, 'language model failed');

    const hits = await waitForHits(opensearch, traceId, (found) => found.length >= 2 * written.length);
    const failures = hits.filter((hit) => String(hit._source.message).startsWith('language model failed'));
    expect(failures).toHaveLength(2);
    for (const { _source: doc } of failures) {
      expect(doc).toMatchObject({
        log: { level: 'warn' },
        service: { name: expect.any(String) },
        trace: { id: traceId },
        span: { id: expect.stringMatching(/^[0-9a-f]{16}$/) },
        error: { type: expect.any(String), message: expect.any(String) },
        ecs: { version: '8.11.0' },
        event: { dataset: 'tend.app' },
      });
      expect(Number.isNaN(Date.parse(doc['@timestamp'] as string))).toBe(false);
      // Tend's own names are gone; what is left of the line is under tend.*.
      for (const field of ['time', 'msg', 'level', 'service', 'trace_id', 'span_id', 'err']) {
        expect(doc.tend ?? {}, field).not.toHaveProperty(field);
      }
      expect(doc).not.toHaveProperty('trace_id');
    }
    // The pod log's copy carries where it ran; the plain file's does not.
    const [fromPod, fromFile] = [
      failures.filter((hit) => hit._source.kubernetes),
      failures.filter((hit) => !hit._source.kubernetes),
    ];
    expect(fromPod.map((hit) => hit._source.kubernetes)).toEqual([
      { pod: { name: pod.name }, namespace: pod.namespace, container: { name: pod.container } },
    ]);
    expect(fromFile).toHaveLength(1);

    // The crash line went too, as text.
    const crash = await waitForHits(opensearch, 'triggerUncaughtException', (found) => found.length > 0, 'message');
    expect(crash[0]!._source).toMatchObject({
      message: 'node:internal/modules/run_main:123 triggerUncaughtException(',
      event: { dataset: 'tend.unparsed' },
    });

    // OpenSearch mapped trace.id as a searchable field of an object, not a dotted name.
    const mapping = await opensearch.mapping(index);
    expect(mapping).toHaveProperty(['trace', 'properties', 'id']);
  }, 300_000);

  /** Tend's lines of the trace once one's `msg` starts with `msg`, or fails with the output. */
  async function waitForOutput(process: TendProcess, trace: string, msg: string): Promise<Record<string, unknown>[]> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const lines = process.output
        .split('\n')
        .filter((line) => line.includes(trace))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      if (lines.some((line) => String(line.msg).startsWith(msg))) return lines;
      if (Date.now() > deadline) throw new Error(`no "${msg}" line in trace ${trace}:\n${process.output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Polls the node until `enough` holds for the hits of `field` = `value`, or fails with the shipper's output. */
  async function waitForHits(
    node: OpenSearchNode,
    value: string,
    enough: (hits: SearchHit[]) => boolean,
    field = 'trace.id',
  ): Promise<SearchHit[]> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const hits = await node.search(index, field, value);
      if (enough(hits)) return hits;
      if (shipper.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`found ${hits.length} documents for ${field}=${value}; shipper:\n${shipper.output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
});
