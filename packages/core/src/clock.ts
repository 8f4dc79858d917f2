import { randomUUID } from 'node:crypto';

/** Time as the application sees it, so tests can move it. */
export interface Clock {
  now(): Date;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => new Date() };

/** Ids as the application makes them, so tests can predict them. */
export interface Ids {
  /** A random UUID (v4), used for entities and event ids. */
  uuid(): string;
}

/** Random UUIDs from node:crypto. */
export const randomIds: Ids = { uuid: () => randomUUID() };
