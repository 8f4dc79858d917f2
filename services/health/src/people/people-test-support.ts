import { Code, ConnectError } from '@connectrpc/connect';
import type { User } from '@tend/proto/tend/health/v1/people';
import { databaseTargets, requiredRedisUrl, type DatabaseTarget } from '@tend/testing';
import { expect } from 'vitest';
import { adminCaller, serviceCaller, testBreakGlassReason, type HealthHarness } from '../testing/health-harness.js';

/** Where the people suites run: every database target, the real one with real Redis when it is up. */
export const peopleTestCases: { label: string; target: DatabaseTarget; redisUrl: string | undefined }[] =
  databaseTargets().map((target) => {
    const redisUrl = target.kind === 'real' ? requiredRedisUrl() : undefined;
    return { label: `${target.kind} PostgreSQL, ${redisUrl ? 'Redis' : 'in-memory'} cache`, target, redisUrl };
  });

/** The gateway, as the caller of registration and credential checks. */
export const gateway = serviceCaller('gateway');
/** An administrator; admins need no account row to act. */
export const admin = adminCaller('00000000-0000-4000-8000-00000000a001');
/** The same administrator in break-glass mode, which reaches a person's health data. */
export const breakGlassAdmin = adminCaller('00000000-0000-4000-8000-00000000a001', testBreakGlassReason);
/** Every registered test person's password. */
export const password = 'correct horse battery';

/** Awaits a call that must fail, and returns its ConnectError. */
export async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error('expected the call to fail');
}

/** Asserts the call fails with InvalidArgument naming `field`. */
export async function expectInvalid(call: Promise<unknown>, field: string): Promise<void> {
  const error = await failure(call);
  expect(error.code).toBe(Code.InvalidArgument);
  expect(error.rawMessage).toContain(field);
}

let sequence = 0;

/** Registers a person through the gateway's path, with a unique e-mail unless one is given. */
export async function registerPerson(
  h: HealthHarness,
  name = 'Mei',
  extra: { email?: string; timeZone?: string } = {},
): Promise<User> {
  sequence += 1;
  const email = extra.email ?? `person${sequence}.${Date.now()}@Example.test`;
  const { user } = await h.client.createUser({
    caller: gateway,
    email,
    password,
    displayName: name,
    timeZone: extra.timeZone ?? '',
  });
  return user!;
}
