import type { Client } from '@connectrpc/connect';
import { UnauthenticatedError } from '@tend/platform';
import type { Caller } from '@tend/proto/tend/common/v1/common';
import type { HealthPublicService } from '@tend/proto/tend/health/v1/health_public_service';
import type { Person } from '../brain/turn.js';

/**
 * The person a conversation is with, as the health service knows them: every conversation call
 * names its caller, and the health service decides who that is (name, language, time zone).
 */
export async function personOf(
  health: Client<typeof HealthPublicService>,
  caller: Caller | undefined,
): Promise<{ caller: Caller; person: Person }> {
  if (!caller?.userId) throw new UnauthenticatedError('a conversation needs the person it is with (caller.user_id)');
  const { user } = await health.getUser({ caller });
  return {
    caller,
    person: {
      id: user!.id,
      displayName: user!.displayName,
      locale: user!.locale === 'zh' ? 'zh' : 'en',
      timeZone: user!.timeZone || 'UTC',
    },
  };
}
