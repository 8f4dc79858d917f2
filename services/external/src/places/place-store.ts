import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { NotFoundError, type Clock } from '@tend/core';
import { type SchemaDatabase } from '@tend/db';
import { PlaceSchema, type Place } from '@tend/proto/tend/external/v1/external';
import type { Selectable } from 'kysely';
import type { ExternalTables, PlaceRow } from '../db/tables.js';

/** A place to store for a person. */
export interface PlaceInput {
  name: string;
  latitude: number;
  longitude: number;
  countryCode: string;
  timeZone: string;
}

/**
 * Where each person lives, in the external service's own schema: the place only matters for
 * third-party look-ups, so it stays beside them rather than in the health record (and the
 * health contract, edited by many, is left alone). One row per person, replaced on change.
 */
export class PlaceStore {
  constructor(
    private readonly db: SchemaDatabase<ExternalTables>,
    private readonly clock: Clock,
  ) {}

  async save(userId: string, input: PlaceInput): Promise<Place> {
    const row: Selectable<PlaceRow> = { user_id: userId, ...toColumns(input), updated_at: this.clock.now() };
    await this.db.writeStatement(
      (db) =>
        db
          .insertInto('places')
          .values(row)
          .onConflict((oc) => oc.column('user_id').doUpdateSet({ ...toColumns(input), updated_at: row.updated_at }))
          .execute(),
      { consistencyKey: userId },
    );
    return placeOf(row);
  }

  /** The person's place, or undefined when none is stored. */
  async find(userId: string): Promise<Place | undefined> {
    const row = await this.db
      .reader(userId)
      .selectFrom('places')
      .selectAll()
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row && placeOf(row);
  }

  async get(userId: string): Promise<Place> {
    const place = await this.find(userId);
    if (!place) throw new NotFoundError('place of person', userId);
    return place;
  }
}

function toColumns(input: PlaceInput) {
  return {
    name: input.name,
    latitude: input.latitude,
    longitude: input.longitude,
    country_code: input.countryCode,
    time_zone: input.timeZone,
  };
}

function placeOf(row: Selectable<PlaceRow>): Place {
  return create(PlaceSchema, {
    name: row.name,
    latitude: row.latitude,
    longitude: row.longitude,
    countryCode: row.country_code,
    timeZone: row.time_zone,
    updatedAt: timestampFromDate(row.updated_at),
  });
}
