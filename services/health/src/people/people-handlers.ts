import type { HealthContext } from '../context.js';
import type { HealthHandlers } from '../handlers.js';
import { accountHandlers, type AccountMethods } from './account-handlers.js';
import { caregiverHandlers, type CaregiverMethods } from './caregiver-handlers.js';

/**
 * The people area of the health service: accounts and profiles, caregiver links and the audit
 * log. Split in two files by concept; the service sees one set of methods.
 */
export function peopleHandlers(context: HealthContext): HealthHandlers<AccountMethods | CaregiverMethods> {
  return { ...accountHandlers(context), ...caregiverHandlers(context) };
}
