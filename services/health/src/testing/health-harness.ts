import { randomBytes } from 'node:crypto';
import { createClient, type Client, type ConnectRouter } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import { CompositeService, type Clock, type HealthLimits } from '@tend/core';
import { type Database } from '@tend/db';
import type { EventBus } from '@tend/events';
import { CallerSchema, Role, type Caller } from '@tend/proto/tend/common/v1/common';
import type { CaregiverLink, CaregiverScope } from '@tend/proto/tend/health/v1/caregivers';
import { HealthService } from '@tend/proto/tend/health/v1/health_service';
import { inProcessTransport, startServiceParts, type DatabaseTarget } from '@tend/testing';
import { AesGcmCipher } from '../crypto/aes-gcm-cipher.js';
import type { HealthContext } from '../context.js';
import { createHealthService } from '../health-service.js';
import type { ScryptCost } from '../people/password-hashing.js';
import { sealedAt } from '../crypto/sealed-columns.js';

/** A running health service on a fresh schema, and a client of it through its real contract. */
export interface HealthHarness {
  client: Client<typeof HealthService>;
  context: HealthContext;
  /** The service's gRPC contract, to serve on a real server too. */
  serviceNames: readonly string[];
  routes: (router: ConnectRouter) => void;
  database: Database;
  schema: string;
  /** The bus its outbox relay publishes to: a suite reads the service's events there. */
  bus: EventBus;
  stop(): Promise<void>;
}

export interface HealthHarnessOptions {
  /** Real Redis for the cache; in-memory when absent. */
  redisUrl?: string;
  /** Time as the service sees it, for suites that move it. @default the wall clock */
  clock?: Clock;
  /** Per-person caps, lowered by suites that test them. @default defaultHealthLimits */
  limits?: Partial<HealthLimits>;
  /** The field-encryption key (id `test`), for suites that seal values themselves. @default random */
  encryptionKey?: Buffer;
  /** scrypt cost of new password hashes. @default testPasswordCost */
  passwordCost?: ScryptCost;
}

/** A cheap scrypt cost for suites that register people (production's is 2^17). */
export const testPasswordCost: ScryptCost = { N: 2 ** 10, r: 8, p: 1 };

/**
 * Starts the health service as the binary would (migrations, outbox relay), on embedded or
 * real PostgreSQL, in a schema of its own so suites never see each other's rows. The client
 * goes through Connect's router transport: every call is serialised to protobuf and back.
 */
export async function startHealthHarness(
  target: DatabaseTarget,
  options: HealthHarnessOptions = {},
): Promise<HealthHarness> {
  const { database, cache, bus, logger, metrics, schema, ...infra } = await startServiceParts(target, {
    schemaPrefix: 'health',
    redisUrl: options.redisUrl,
  });
  const service = createHealthService({
    database,
    bus,
    cache,
    cipher: new AesGcmCipher([{ id: 'test', key: options.encryptionKey ?? randomBytes(32) }], randomBytes(32)),
    logger,
    metrics,
    schema,
    clock: options.clock,
    limits: options.limits,
    // The one place tests lower the scrypt cost: production's 2^17 costs 128 MiB and ~0.5 s a hash.
    passwordCost: options.passwordCost ?? testPasswordCost,
  });
  const parts = new CompositeService('health-parts', service.parts ?? []);
  await parts.start();
  const client = createClient(
    HealthService,
    // Domain errors reach the client as gRPC codes, as they do through the real server.
    inProcessTransport((router) => service.routes(router)),
  );
  return {
    client,
    context: service.context,
    serviceNames: service.serviceNames,
    routes: (router) => service.routes(router),
    database,
    schema,
    bus,
    async stop() {
      await parts.stop();
      await infra.stop();
    },
  };
}

/** A caller acting as a person. */
export function personCaller(userId: string, role: Role.USER | Role.CAREGIVER = Role.USER): Caller {
  return create(CallerSchema, { userId, role });
}

/**
 * A caller acting as an administrator; with a reason, in break-glass mode (the only way an admin
 * reaches another person's health data).
 */
export function adminCaller(userId: string, breakGlassReason = ''): Caller {
  return create(CallerSchema, { userId, role: Role.ADMIN, breakGlassReason });
}

/** A break-glass reason for suites whose admin must reach a person's health data. */
export const testBreakGlassReason = 'test: an admin acting on a person’s record';

/** A caller acting as an internal service. */
export function serviceCaller(service = 'test'): Caller {
  return create(CallerSchema, { role: Role.SERVICE, service });
}

/**
 * Puts a person straight into the table, for suites that need someone to own records without
 * going through account creation. Returns the new id.
 */
export async function insertTestUser(
  context: HealthContext,
  person: { timeZone?: string; displayName?: string; email?: string; role?: 'user' | 'caregiver' | 'admin' } = {},
): Promise<string> {
  const id = context.ids.uuid();
  const email = person.email ?? `${id}@example.test`;
  await context.db.primary
    .insertInto('users')
    .values({
      id,
      email_hash: context.cipher.blindIndex(email.toLowerCase()),
      email_encrypted: context.cipher.encrypt(email, sealedAt.userEmail(id)),
      password_hash: null,
      display_name: person.displayName ?? 'Test Person',
      role: person.role ?? 'user',
      locale: 'en',
      time_zone: person.timeZone ?? 'UTC',
    })
    .execute();
  return id;
}

/**
 * Makes `caregiverId` a caregiver of `patientId` the way people do it: the caregiver's address
 * is marked proven (an admin's word), the patient invites it, the caregiver accepts. Returns the
 * link.
 */
export async function linkCaregiver(
  client: Client<typeof HealthService>,
  patientId: string,
  caregiverId: string,
  scopes: CaregiverScope[],
): Promise<CaregiverLink> {
  const admin = adminCaller(caregiverId);
  const { user } = await client.verifyEmail({ caller: admin, userId: caregiverId });
  const { invitation } = await client.inviteCaregiver({
    caller: personCaller(patientId),
    caregiverEmail: user!.email,
    scopes,
  });
  const { link } = await client.acceptCaregiverInvitation({
    caller: personCaller(caregiverId, user!.role === Role.CAREGIVER ? Role.CAREGIVER : Role.USER),
    invitationId: invitation!.id,
  });
  return link!;
}
