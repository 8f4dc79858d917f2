// `node --import tsx bench/profile-summary.ts <file.cpuprofile> [--top N] [--from S] [--to S]
// [--callers NAME] [--inclusive]`: where a V8 CPU profile (`node --cpu-prof`) spent its samples, by self time
// per function and per module (the package under node_modules, the workspace package of Tend, or
// Node's own internals), as a share of the busy samples (idle and program are listed apart). A
// profile of a benchmarked server starts with its start-up: `--from`/`--to` (seconds into the
// profile) keep only the load, and the busy time per second printed first shows where it was.
// `--callers NAME` prints the heaviest stacks under which functions named NAME ran; `--inclusive`
// adds each function's time with its callees.
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  parent?: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The module a script URL belongs to: `pkg` under node_modules, `services/x` or `packages/x` of Tend, `node:x`. */
export function moduleOf(url: string): string {
  if (url === '') return '(native)';
  if (url.startsWith('node:')) return url.split('/')[0]!;
  const nodeModules = url.lastIndexOf('/node_modules/');
  if (nodeModules >= 0) {
    const parts = url.slice(nodeModules + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const workspace = /\/(services|packages|apps)\/([^/]+)\//.exec(url);
  return workspace ? `${workspace[1]}/${workspace[2]}` : url;
}

const notBusy = new Set(['(idle)', '(program)']);

/** The samples as (node id, ms since the profile started, ms long). */
function timedSamples(profile: CpuProfile): { id: number; atMs: number; ms: number }[] {
  let atUs = 0;
  return profile.samples.map((id, i) => {
    const deltaUs = profile.timeDeltas[i] ?? 0;
    atUs += deltaUs;
    return { id, atMs: atUs / 1000, ms: deltaUs / 1000 };
  });
}

/** Busy ms in each second of the profile. */
function timeline(profile: CpuProfile, byId: Map<number, ProfileNode>): number[] {
  const seconds: number[] = [];
  for (const { id, atMs, ms } of timedSamples(profile)) {
    if (notBusy.has(byId.get(id)!.callFrame.functionName)) continue;
    const second = Math.floor(atMs / 1000);
    seconds[second] = (seconds[second] ?? 0) + ms;
  }
  return Array.from(seconds, (ms) => ms ?? 0);
}

/** Self time per function and per module, in ms, and the total of the busy samples in [fromS, toS). */
function summarise(profile: CpuProfile, byId: Map<number, ProfileNode>, fromS: number, toS: number) {
  const selfMs = new Map<number, number>();
  for (const { id, atMs, ms } of timedSamples(profile))
    if (atMs >= fromS * 1000 && atMs < toS * 1000) selfMs.set(id, (selfMs.get(id) ?? 0) + ms);
  const functions = new Map<string, number>();
  const modules = new Map<string, number>();
  const apart = new Map<string, number>();
  let busy = 0;
  for (const [id, ms] of selfMs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (notBusy.has(functionName)) {
      apart.set(functionName, (apart.get(functionName) ?? 0) + ms);
      continue;
    }
    busy += ms;
    const where = url ? `${moduleOf(url)} ${url.split('/').pop()}:${lineNumber + 1}` : '(native)';
    const fn = `${functionName || '(anonymous)'}  ${where}`;
    functions.set(fn, (functions.get(fn) ?? 0) + ms);
    modules.set(moduleOf(url), (modules.get(moduleOf(url)) ?? 0) + ms);
  }
  return { busy, functions, modules, apart, selfMs };
}

/** Total time (self and callees) per function, each sample counted once per function on its stack. */
function inclusive(byId: Map<number, ProfileNode>, selfMs: Map<number, number>) {
  const totals = new Map<string, number>();
  for (const [id, ms] of selfMs) {
    if (notBusy.has(byId.get(id)!.callFrame.functionName)) continue;
    const seen = new Set<string>();
    for (let node = byId.get(id); node; node = node.parent === undefined ? undefined : byId.get(node.parent)) {
      const { functionName, url, lineNumber } = node.callFrame;
      const key = `${functionName || '(anonymous)'}  ${url ? `${moduleOf(url)} ${url.split('/').pop()}:${lineNumber + 1}` : ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      totals.set(key, (totals.get(key) ?? 0) + ms);
    }
  }
  return totals;
}

/** The heaviest stacks (leaf first, `depth` frames) ending in a function named `name`. */
function callers(byId: Map<number, ProfileNode>, selfMs: Map<number, number>, name: string, depth: number) {
  const stacks = new Map<string, number>();
  for (const [id, ms] of selfMs) {
    let node = byId.get(id);
    if (node?.callFrame.functionName !== name) continue;
    const frames: string[] = [];
    while (node && frames.length < depth) {
      const { functionName, url, lineNumber } = node.callFrame;
      frames.push(`${functionName || '(anonymous)'} ${url.split('/').pop()}:${lineNumber + 1}`);
      node = node.parent === undefined ? undefined : byId.get(node.parent);
    }
    const key = frames.join(' < ');
    stacks.set(key, (stacks.get(key) ?? 0) + ms);
  }
  return [...stacks].sort((a, b) => b[1] - a[1]).slice(0, 8);
}

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
}

async function main() {
  const args = process.argv.slice(2);
  const file = args[0];
  if (!file || file.startsWith('--'))
    throw new Error('usage: bench/profile-summary.ts <file.cpuprofile> [--top N] [--from S] [--to S] [--callers NAME]');
  const top = Number(option(args, '--top') ?? 30);
  const fromS = Number(option(args, '--from') ?? 0);
  const toS = Number(option(args, '--to') ?? Infinity);
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  for (const node of profile.nodes) for (const child of node.children ?? []) byId.get(child)!.parent = node.id;
  console.log(
    `busy ms per second: ${timeline(profile, byId)
      .map((ms) => ms.toFixed(0))
      .join(' ')}`,
  );
  const { busy, functions, modules, apart, selfMs } = summarise(profile, byId, fromS, toS);
  const callersOf = option(args, '--callers');
  if (callersOf) {
    for (const [stack, ms] of callers(byId, selfMs, callersOf, 12))
      console.log(`${((100 * ms) / busy).toFixed(1).padStart(6)} %  ${stack}`);
    return;
  }
  const table = (title: string, entries: Map<string, number>) => {
    console.log(`\n${title}`);
    for (const [name, ms] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(`${((100 * ms) / busy).toFixed(1).padStart(6)} %  ${ms.toFixed(0).padStart(7)} ms  ${name}`);
  };
  console.log(`${file} from ${fromS} s to ${toS} s: busy ${busy.toFixed(0)} ms (GC included)`);
  for (const [name, ms] of apart) console.log(`  ${name}: ${ms.toFixed(0)} ms`);
  table('self time by module', modules);
  table('self time by function', functions);
  if (args.includes('--inclusive')) table('total time by function (with callees)', inclusive(byId, selfMs));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
