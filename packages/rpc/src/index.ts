export { registerRequestTrace, requestTraceContext, runInRequestTrace } from './http/request-trace.js';
export { GrpcServer, type GrpcServerOptions } from './grpc-server.js';
export { HealthStatus, ServingStatus, registerHealthService } from './health-checks.js';
export {
  serverInterceptor,
  tracePropagationInterceptor,
  errorMappingInterceptor,
  requestValidationInterceptor,
  jsonPathOf,
} from './interceptors.js';
export type { GrpcServiceModule } from './service-module.js';
export { createInProcessTransport, type InProcessTransportOptions } from './in-process-transport.js';
export { createGrpcClientTransport, type GrpcClientTransportOptions } from './grpc-unary-client.js';
export { withDefaultDeadline } from './default-deadline.js';
export {
  ServiceIdentity,
  serviceAuthInterceptor,
  serviceIdentityKey,
  serviceTokenHeader,
  serviceTokenInterceptor,
  type ServiceIdentityOptions,
} from './service-identity.js';
export {
  BalancedTransport,
  isIdempotent,
  type BalancedTransportOptions,
  type UpstreamStatus,
  type InstanceStatus,
} from './balancer/balanced-transport.js';
export { AdminServer, type AdminServerOptions } from './http/admin-server.js';
export { Readiness, type ReadinessCheck, type ReadinessReport } from './http/readiness.js';
export { registerOpsRoutes, registerRequestMetrics, opsPaths } from './http/ops-routes.js';
export { listen } from './http/listen.js';
export { pageSizes, pageLimitOf, decodeCursor, encodeCursor, pageResponse } from './pagination.js';
