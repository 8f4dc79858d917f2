import type { FastifyInstance } from 'fastify';
import { apiObject, zodRoutes } from './route-kit.js';

/** What `/api/v1/admin/status` shows: each upstream service and its instances, and the stores. */
export type SystemStatus = () => Promise<Record<string, unknown>>;

/** `/api/v1/admin/status`, for admins only (see `routeAccess`). */
export function registerAdminRoutes(app: FastifyInstance, status: SystemStatus): void {
  zodRoutes(app).get(
    '/api/v1/admin/status',
    {
      schema: {
        tags: ['admin'],
        summary: 'Each upstream service with its instances and their health, the database and the cache',
        response: { 200: apiObject },
      },
    },
    () => status(),
  );
}
