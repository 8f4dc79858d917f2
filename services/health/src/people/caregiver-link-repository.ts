import type { HealthContext } from '../context.js';
import { linksWithNames, type LinkRow, type PagePosition } from './caregiver-links.js';

/** One newest-first page of links, and whether more follow. */
export interface LinkPage {
  rows: LinkRow[];
  more: boolean;
}

/**
 * The caregiver links' storage for the handlers that list and revoke them. Reads go to the
 * primary, like AccessControl: a link is written under the patient's consistency key, so the
 * caregiver's replica read could miss it, and a list must never show a revoked link active.
 * Invitations, which create links, keep their own storage (`caregiver-invitations.ts`).
 */
export class CaregiverLinkRepository {
  constructor(private readonly context: Pick<HealthContext, 'db' | 'clock'>) {}

  /** A page of the links where `side` is `userId`, newest first, after `after`. */
  async page(
    side: 'patient' | 'caregiver',
    userId: string,
    options: { includeRevoked: boolean; limit: number; after: PagePosition | undefined },
  ): Promise<LinkPage> {
    let query = linksWithNames(this.context.db.primary).where(
      side === 'patient' ? 'l.patient_id' : 'l.caregiver_id',
      '=',
      userId,
    );
    if (!options.includeRevoked) query = query.where('l.revoked_at', 'is', null);
    const after = options.after;
    if (after)
      query = query.where((eb) =>
        eb.or([
          eb('l.created_at', '<', new Date(after.at)),
          eb.and([eb('l.created_at', '=', new Date(after.at)), eb('l.id', '<', after.id)]),
        ]),
      );
    const rows = await query
      .orderBy('l.created_at', 'desc')
      .orderBy('l.id', 'desc')
      .limit(options.limit + 1)
      .execute();
    return { rows: rows.slice(0, options.limit), more: rows.length > options.limit };
  }

  /** The two people of a link, or undefined when there is no such link. */
  parties(linkId: string): Promise<{ patient_id: string; caregiver_id: string } | undefined> {
    return this.context.db.primary
      .selectFrom('caregiver_links')
      .select(['patient_id', 'caregiver_id'])
      .where('id', '=', linkId)
      .executeTakeFirst();
  }

  /** Ends a link (once: a revoked link keeps its first revocation time) and answers it as it is now. */
  async revoke(linkId: string, patientId: string): Promise<LinkRow | undefined> {
    const { db, clock } = this.context;
    await db.transaction(
      (trx) =>
        trx
          .updateTable('caregiver_links')
          .set({ revoked_at: clock.now() })
          .where('id', '=', linkId)
          .where('revoked_at', 'is', null)
          .execute(),
      { consistencyKey: patientId },
    );
    return linksWithNames(db.primary).where('l.id', '=', linkId).executeTakeFirst();
  }
}
