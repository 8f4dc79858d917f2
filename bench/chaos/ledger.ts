import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { doseKey, vitalKey, type Sent } from './load.js';

/** What the primary database holds of one fault's writes and of the alerts their events caused. */
export interface Ledger {
  /** Writes answered 201 whose row is not in the primary. */
  lostWrites: number;
  /** Copies beyond the first of writes stored more than once (matched by `Sent.key`, not by id). */
  duplicatedWrites: number;
  /** Crisis readings stored (acknowledged or not): each is one `alert.raised` event through Kafka. */
  events: number;
  /** Stored crisis readings with no urgent-reading alert in the person's inbox. */
  lostAlerts: number;
  /** Alerts beyond the first for one reading: an event applied twice. */
  duplicatedAlerts: number;
  /** The latest an alert appeared after both its reading's answer and the fault's end (0 if none later). */
  alertDelayMs: number;
}

/** Where each key's request finished, for the alerts of readings it wrote. */
type Written = Map<string, Sent>;

/**
 * Reads what one fault left in the primary: every acknowledged write present, none stored twice,
 * and for every crisis reading stored exactly one alert written by the notification service's
 * consumer (its effect, de-duplicated or not, is what is counted, not Kafka's deliveries).
 * Waits up to `catchUpMs` for alerts still on their way, since events published after the fault
 * (the outbox held them while Kafka was away) arrive late by design.
 */
export async function readLedger(
  db: pg.Client,
  sent: readonly Sent[],
  personIds: readonly string[],
  endedAt: number,
  catchUpMs: number,
): Promise<Ledger> {
  const written: Written = new Map(sent.flatMap((s) => (s.key ? [[s.key, s] as const] : [])));
  const acknowledged = (ops: Sent['op'][]) => sent.filter((s) => ops.includes(s.op) && s.id).map((s) => s.id!);
  const found = async (table: string, ids: string[]) =>
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE id = ANY($1::uuid[])`, [ids]))
      .rows[0]!.n;
  const vitals = acknowledged(['steps', 'urgent']);
  const doses = acknowledged(['dose']);
  const accounts = acknowledged(['register']);
  const lostWrites =
    vitals.length -
    (await found('health.vitals', vitals)) +
    doses.length -
    (await found('health.dose_log', doses)) +
    accounts.length -
    (await found('health.users', accounts));

  const people = [...personIds];
  const vitalCopies = await db.query<{
    user_id: string;
    kind: string;
    value: number | null;
    systolic: number | null;
    diastolic: number | null;
    copies: number;
  }>(
    `SELECT user_id::text, kind, value, systolic, diastolic, count(*)::int AS copies FROM health.vitals
      WHERE user_id = ANY($1::uuid[]) GROUP BY 1, 2, 3, 4, 5 HAVING count(*) > 1`,
    [people],
  );
  const doseCopies = await db.query<{ medication_id: string; at: string; copies: number }>(
    `SELECT medication_id::text, round(extract(epoch FROM occurred_at) * 1000)::bigint::text AS at, count(*)::int AS copies
       FROM health.dose_log WHERE user_id = ANY($1::uuid[]) GROUP BY 1, 2 HAVING count(*) > 1`,
    [people],
  );
  const duplicatedWrites =
    vitalCopies.rows
      .filter((r) => written.has(vitalKey(r.user_id, r.kind, r.value, r.systolic, r.diastolic)))
      .reduce((sum, r) => sum + r.copies - 1, 0) +
    doseCopies.rows
      .filter((r) => written.has(doseKey(r.medication_id, Number(r.at))))
      .reduce((sum, r) => sum + r.copies - 1, 0);

  const deadline = Date.now() + catchUpMs;
  for (;;) {
    const alerts = await alertsOf(db, people, written);
    if (alerts.lostAlerts === 0 || Date.now() > deadline) {
      const { events, lostAlerts, duplicatedAlerts } = alerts;
      return {
        lostWrites,
        duplicatedWrites,
        events,
        lostAlerts,
        duplicatedAlerts,
        alertDelayMs: alerts.delay(endedAt),
      };
    }
    await sleep(500);
  }
}

/** The crisis readings of this fault stored in the primary, and the alerts written for each. */
async function alertsOf(db: pg.Client, people: string[], written: Written) {
  const readings = await db.query<{ id: string; user_id: string; systolic: number; diastolic: number }>(
    `SELECT id::text, user_id::text, systolic, diastolic FROM health.vitals
      WHERE user_id = ANY($1::uuid[]) AND kind = 'blood_pressure'`,
    [people],
  );
  const ours = readings.rows.flatMap((r) => {
    const request = written.get(vitalKey(r.user_id, 'blood_pressure', null, r.systolic, r.diastolic));
    return request ? [{ id: r.id, request }] : [];
  });
  const alerts = await db.query<{ subject: string; copies: number; first: Date }>(
    `SELECT data->>'subject' AS subject, count(*)::int AS copies, min(created_at) AS first
       FROM notification.notifications
      WHERE user_id = ANY($1::uuid[]) AND kind = 'urgent_reading' AND data->>'subject' = ANY($2::text[])
      GROUP BY 1`,
    [people, ours.map((r) => r.id)],
  );
  const bySubject = new Map(alerts.rows.map((a) => [a.subject, a]));
  return {
    events: ours.length,
    lostAlerts: ours.filter((r) => !bySubject.has(r.id)).length,
    duplicatedAlerts: alerts.rows.reduce((sum, a) => sum + a.copies - 1, 0),
    delay: (endedAt: number) =>
      Math.max(
        0,
        ...ours.map((r) => {
          const alert = bySubject.get(r.id);
          return alert ? alert.first.getTime() - Math.max(r.request.done, endedAt) : 0;
        }),
      ),
  };
}
