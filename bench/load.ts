/** Latency percentiles and throughput of a closed-loop load: `concurrency` callers for `seconds`. */
export interface LoadResult {
  name: string;
  calls: number;
  errors: number;
  callsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

/**
 * Runs `call` from `concurrency` loops for a bounded time and at most `maxCalls` calls, on
 * loopback only, and reports what a client saw. `call(i)` gets a running index so scenarios
 * can spread over keys.
 */
export async function runLoad(
  name: string,
  call: (i: number) => Promise<unknown>,
  options: { concurrency: number; seconds: number; maxCalls?: number },
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const maxCalls = options.maxCalls ?? Number.POSITIVE_INFINITY;
  const deadline = performance.now() + options.seconds * 1000;
  const began = performance.now();
  const loop = async () => {
    while (performance.now() < deadline && next < maxCalls) {
      const i = next++;
      const start = performance.now();
      try {
        await call(i);
        latencies.push(performance.now() - start);
      } catch {
        errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));
  const elapsed = (performance.now() - began) / 1000;
  latencies.sort((a, b) => a - b);
  const quantile = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return {
    name,
    calls: latencies.length,
    errors,
    callsPerSecond: Math.round(latencies.length / elapsed),
    p50Ms: round(quantile(0.5)),
    p95Ms: round(quantile(0.95)),
    p99Ms: round(quantile(0.99)),
  };
}

const round = (n: number) => Math.round(n * 100) / 100;

/** One line per result, as recorded in bench/README.md. */
export function formatResult(r: LoadResult): string {
  return `${r.name.padEnd(44)} ${String(r.callsPerSecond).padStart(7)} calls/s  p50 ${r.p50Ms} ms  p95 ${r.p95Ms} ms  p99 ${r.p99Ms} ms  (${r.calls} calls, ${r.errors} errors)`;
}

/** Resolves once `url` answers 2xx: a server the benchmark started is ready for load. */
export async function waitForReady(url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not become ready`);
}
