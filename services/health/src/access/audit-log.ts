import type { Selectable } from 'kysely';
import type { HealthContext } from '../context.js';
import type { AuditEventsTable } from '../db/tables.js';

/** Where the audit log stopped: the last entry's time (epoch ms) and write order, the tie-breaker. */
export interface AuditPosition {
  at: number;
  seq: string;
}

/** Which entries of one person's audit log to read. */
export interface AuditQuery {
  subjectId: string;
  actorUserId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  after?: AuditPosition | undefined;
  limit: number;
}

/**
 * Reading a person's audit log, newest first. AccessControl writes it (every read of someone
 * else's record, every refusal); this is the one place that pages through it.
 */
export class AuditLog {
  constructor(private readonly context: Pick<HealthContext, 'db'>) {}

  /** One page of entries and whether more follow. */
  async page(q: AuditQuery): Promise<{ rows: Selectable<AuditEventsTable>[]; more: boolean }> {
    // Audit entries are written straight to the primary without a consistency key; read them there
    // so an access shows up in the person's log at once.
    let query = this.context.db.primary
      .selectFrom('audit_events')
      .selectAll()
      .where('subject_user_id', '=', q.subjectId);
    if (q.actorUserId) query = query.where('actor_user_id', '=', q.actorUserId);
    if (q.from) query = query.where('at', '>=', q.from);
    if (q.to) query = query.where('at', '<', q.to);
    const after = q.after;
    if (after)
      query = query.where((eb) =>
        eb.or([
          eb('at', '<', new Date(after.at)),
          eb.and([eb('at', '=', new Date(after.at)), eb('seq', '<', after.seq)]),
        ]),
      );
    const rows = await query
      .orderBy('at', 'desc')
      .orderBy('seq', 'desc')
      .limit(q.limit + 1)
      .execute();
    return { rows: rows.slice(0, q.limit), more: rows.length > q.limit };
  }
}
