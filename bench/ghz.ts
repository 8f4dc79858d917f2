// ghz (github.com/bojand/ghz), a gRPC load generator in Go, drives the gRPC benchmarks: a
// Node client costs several times the server's CPU per call, so on a 2-core machine it, not the
// server, would set the numbers. Installed on first use with `go install` into GOPATH/bin.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { LoadResult } from './load.js';

const run = promisify(execFile);
const ghzModule = 'github.com/bojand/ghz/cmd/ghz@v0.93.0';

/** The ghz binary, installed with the Go toolchain if it is not there yet. */
export async function ghzBinary(): Promise<string> {
  const { stdout } = await run('go', ['env', 'GOPATH']);
  const binary = join(stdout.trim(), 'bin', 'ghz');
  if (!existsSync(binary)) {
    console.log(`installing ${ghzModule} ...`);
    await run('go', ['install', ghzModule], { maxBuffer: 16 * 1024 * 1024 });
  }
  return binary;
}

/** Tend's protos compiled into one descriptor set for ghz (it cannot parse proto3 `optional`). */
export async function tendProtoset(): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'tend-protoset-')), 'tend.protoset');
  // The contracts import buf/validate, which is fetched, not committed (scripts/proto-deps.mjs).
  await run('node', ['scripts/proto-deps.mjs', '--quiet']);
  await run('npx', ['buf', 'build', '-o', file]);
  return file;
}

export interface GhzLoad {
  name: string;
  /** `package.Service/Method`. */
  call: string;
  /** One request in protobuf JSON, or several used in turn. */
  data: unknown;
  concurrency: number;
  /** Stop after this many calls; when given, `seconds` is ignored (ghz takes one or the other). */
  total?: number;
  /** Otherwise stop after this many seconds. */
  seconds?: number;
  /** Send at most this many calls per second (open loop); unlimited when absent. */
  rate?: number;
}

interface GhzReport {
  count: number;
  rps: number;
  latencyDistribution: { percentage: number; latency: number }[] | null;
  statusCodeDistribution?: Record<string, number>;
}

/** Runs one bounded ghz load against `target` (host:port, plaintext) and reports what it saw. */
export async function runGhz(binary: string, protoset: string, target: string, load: GhzLoad): Promise<LoadResult> {
  const dataFile = join(await mkdtemp(join(tmpdir(), 'tend-ghz-')), 'data.json');
  await writeFile(dataFile, JSON.stringify(load.data));
  const args = [
    '--insecure',
    '--protoset',
    protoset,
    '--call',
    load.call,
    '--data-file',
    dataFile,
    '--concurrency',
    String(load.concurrency),
    '--connections',
    '1',
    '--format',
    'json',
    ...(load.total !== undefined ? ['--total', String(load.total)] : []),
    ...(load.total === undefined && load.seconds !== undefined
      ? ['--duration', `${load.seconds}s`, '--duration-stop', 'wait']
      : []),
    ...(load.rate !== undefined ? ['--rps', String(load.rate)] : []),
    target,
  ];
  const { stdout } = await run(binary, args, { maxBuffer: 64 * 1024 * 1024 });
  const report = JSON.parse(stdout) as GhzReport;
  const ok = report.statusCodeDistribution?.OK ?? 0;
  const percentile = (p: number): number => {
    const latencyNs = report.latencyDistribution?.find((d) => d.percentage === p)?.latency ?? NaN;
    return Math.round(latencyNs / 1e4) / 100;
  };
  return {
    name: load.name,
    calls: ok,
    errors: report.count - ok,
    callsPerSecond: Math.round(report.rps),
    p50Ms: percentile(50),
    p95Ms: percentile(95),
    p99Ms: percentile(99),
  };
}
