export { createHealthService, type HealthServiceDeps } from './health-service.js';
