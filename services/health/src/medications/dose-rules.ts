/**
 * The rules that turn scheduled doses and a dose log into statuses and adherence. Pure: the
 * handlers feed them what they read and the clock's now.
 */

/** Status names as the dose log stores them; `pending` only ever describes a scheduled dose. */
export type LoggedStatus = 'taken' | 'skipped' | 'missed';
export type DoseState = LoggedStatus | 'pending';

/** Service-level dose settings (proto: "service configuration"). */
export interface DoseRules {
  /** How long after its scheduled time an unlogged dose stays PENDING before it is MISSED. @default 2 h */
  graceMs: number;
  /** How far from `occurred_at` LogDose looks for the dose a log answers. @default 3 h */
  matchWindowMs: number;
}

/** The defaults the proto comments promise. */
export const defaultDoseRules: DoseRules = { graceMs: 2 * 60 * 60 * 1000, matchWindowMs: 3 * 60 * 60 * 1000 };

/**
 * A scheduled dose's status: its log entry's when it has one; otherwise PENDING until the grace
 * period after the scheduled time has passed, then MISSED.
 */
export function doseState(
  scheduledAtMs: number,
  logged: LoggedStatus | undefined,
  nowMs: number,
  rules: DoseRules,
): DoseState {
  if (logged) return logged;
  return nowMs >= scheduledAtMs + rules.graceMs ? 'missed' : 'pending';
}

/**
 * The dose a log without `scheduled_at` answers: the unlogged one nearest to `occurredAtMs`
 * within the window (the earlier on a tie), or undefined.
 */
export function nearestUnloggedDose(
  candidatesMs: number[],
  loggedMs: ReadonlySet<number>,
  occurredAtMs: number,
  rules: DoseRules,
): number | undefined {
  let best: number | undefined;
  for (const candidate of candidatesMs) {
    if (loggedMs.has(candidate)) continue;
    const distance = Math.abs(candidate - occurredAtMs);
    if (distance > rules.matchWindowMs) continue;
    if (
      best === undefined ||
      distance < Math.abs(best - occurredAtMs) ||
      (distance === Math.abs(best - occurredAtMs) && candidate < best)
    ) {
      best = candidate;
    }
  }
  return best;
}

/** Adherence counts; `rate` is taken ÷ (taken + skipped + missed), absent when nothing settled. */
export interface AdherenceCounts {
  scheduled: number;
  taken: number;
  skipped: number;
  missed: number;
  pending: number;
  rate: number | undefined;
  unscheduledTaken: number;
}

/**
 * Adherence over scheduled doses' states plus the count of doses taken outside the schedule.
 * Pending doses are counted apart and never lower the rate.
 */
export function adherenceOf(states: DoseState[], unscheduledTaken = 0): AdherenceCounts {
  const counts = { taken: 0, skipped: 0, missed: 0, pending: 0 };
  for (const state of states) counts[state] += 1;
  const scheduled = counts.taken + counts.skipped + counts.missed;
  return { ...counts, scheduled, rate: scheduled === 0 ? undefined : counts.taken / scheduled, unscheduledTaken };
}

/** Sums per-medication counts into the overall figure. */
export function sumAdherence(parts: AdherenceCounts[]): AdherenceCounts {
  const total = { scheduled: 0, taken: 0, skipped: 0, missed: 0, pending: 0, unscheduledTaken: 0 };
  for (const part of parts) {
    total.scheduled += part.scheduled;
    total.taken += part.taken;
    total.skipped += part.skipped;
    total.missed += part.missed;
    total.pending += part.pending;
    total.unscheduledTaken += part.unscheduledTaken;
  }
  return { ...total, rate: total.scheduled === 0 ? undefined : total.taken / total.scheduled };
}
