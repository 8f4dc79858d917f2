import type { HealthContext } from '../context.js';
import type { HealthHandlers } from '../handlers.js';

/** Placeholder until this area's methods land; the service answers UNIMPLEMENTED for them. */
export function peopleHandlers(_context: HealthContext): HealthHandlers<never> {
  return {};
}
