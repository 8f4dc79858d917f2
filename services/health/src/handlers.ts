import type { ServiceImpl } from '@connectrpc/connect';
import type { HealthService } from '@tend/proto/tend/health/v1/health_service';

/** The methods one area of the health service implements; the areas together make the service. */
export type HealthHandlers<K extends keyof ServiceImpl<typeof HealthService>> = Pick<
  ServiceImpl<typeof HealthService>,
  K
>;
