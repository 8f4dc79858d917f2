import type { HealthContext } from '../context.js';
import type { HealthHandlers } from '../handlers.js';
import { accountHandlers, type AccountMethods } from './account-handlers.js';
import { caregiverHandlers, type CaregiverMethods } from './caregiver-handlers.js';
import { invitationHandlers, type InvitationMethods } from './caregiver-invitations.js';

/**
 * The people area of the health service: accounts and profiles, caregiver invitations and links,
 * and the audit log. Split in files by concept; the service sees one set of methods.
 */
export function peopleHandlers(
  context: HealthContext,
): HealthHandlers<AccountMethods | CaregiverMethods | InvitationMethods> {
  return { ...accountHandlers(context), ...caregiverHandlers(context), ...invitationHandlers(context) };
}
