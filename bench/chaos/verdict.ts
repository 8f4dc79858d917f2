import type { Ledger } from './ledger.js';
import type { Sent } from './load.js';

/** The bound the issue sets on recovery after a fault ends. */
export const recoveryBoundMs = 10_000;

/** One line of the chaos table. */
export interface ChaosRow {
  fault: string;
  requests: number;
  /** Failed requests: 5xx, no answer, and any other answer but the success the mix expects. */
  errors: number;
  /** Of `errors`, those the fault made unavoidable (see `Fault.unavoidable`). */
  unavoidable: number;
  /** Acknowledged writes missing, and events that caused no effect. */
  lost: number;
  /** Writes stored twice, and events whose effect happened twice. */
  duplicated: number;
  /** Crisis readings whose alert went through Kafka under this fault. */
  events: number;
  /** From the fault's end to the last failed request, or to the last alert held up by it. */
  recoveryMs: number;
  /** The two parts of `recoveryMs`: requests failing, and alerts arriving late. */
  recoveredBy: { requestsMs: number; alertsMs: number };
  /** The failed requests by operation and status (`"dose 503"`), to tell what failed. */
  failedBy: Record<string, number>;
}

/** Whether a request of the mix got the answer it should: 201 for a write, 200 for a chat turn or a read. */
export function succeeded(request: Sent): boolean {
  return request.status === 200 || request.status === 201;
}

/** The table line for one fault, from what was sent under it and what the database holds after. */
export function chaosRow(
  fault: string,
  sent: readonly Sent[],
  unavoidable: (request: Sent) => boolean,
  endedAt: number,
  ledger: Ledger,
): ChaosRow {
  const failed = sent.filter((s) => !succeeded(s));
  const lastFailure = Math.max(endedAt, ...failed.map((s) => s.done));
  return {
    fault,
    requests: sent.length,
    errors: failed.length,
    unavoidable: failed.filter(unavoidable).length,
    lost: ledger.lostWrites + ledger.lostAlerts,
    duplicated: ledger.duplicatedWrites + ledger.duplicatedAlerts,
    events: ledger.events,
    recoveryMs: Math.max(lastFailure - endedAt, ledger.alertDelayMs),
    recoveredBy: { requestsMs: lastFailure - endedAt, alertsMs: ledger.alertDelayMs },
    failedBy: Object.fromEntries(
      [...Map.groupBy(failed, (s) => `${s.op} ${s.status}`)].map(([what, all]) => [what, all.length]),
    ),
  };
}

/**
 * Where a line breaks the invariant, empty when it holds: anything lost, anything applied twice,
 * or a fault under which no alert went through Kafka at all (then exactly-once was not tested).
 * Every run, CI's included, fails on these.
 */
export function chaosInvariantFailures(row: ChaosRow): string[] {
  const reasons: string[] = [];
  if (row.lost > 0) reasons.push(`${row.lost} lost`);
  if (row.duplicated > 0) reasons.push(`${row.duplicated} duplicated`);
  if (row.events === 0) reasons.push('no event went through Kafka');
  return reasons;
}

/**
 * Where a line misses the service levels, empty when it meets them: a failure the fault did not
 * make unavoidable, or a recovery over the bound. The full run fails on these; the CI run
 * reports them, since on a shared machine they measure its load as much as Tend.
 */
export function chaosServiceMisses(row: ChaosRow): string[] {
  const reasons: string[] = [];
  if (row.errors > row.unavoidable) reasons.push(`${row.errors - row.unavoidable} avoidable errors`);
  if (row.recoveryMs > recoveryBoundMs) reasons.push(`recovery ${(row.recoveryMs / 1000).toFixed(1)} s`);
  return reasons;
}

/** Why a line fails a full run, empty when it passes: the invariant, then the service levels. */
export function chaosFailures(row: ChaosRow): string[] {
  return [...chaosInvariantFailures(row), ...chaosServiceMisses(row)];
}

/** The table as Markdown, for the terminal and bench/README.md. */
export function chaosTable(rows: readonly ChaosRow[]): string {
  const lines = [
    '| fault | requests | errors (unavoidable) | events | lost | duplicated | recovery |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.fault} | ${r.requests} | ${r.errors} (${r.unavoidable}) | ${r.events} | ${r.lost} | ${r.duplicated} | ${(r.recoveryMs / 1000).toFixed(1)} s |`,
    ),
  ];
  return lines.join('\n');
}
