import type { GrpcServiceModule } from '@tend/platform';
import { ExternalService } from '@tend/proto/tend/external/v1/external';

/**
 * The external service as the binary hosts it. Its contract is served on its own port; methods
 * without an implementation yet answer gRPC UNIMPLEMENTED.
 */
export function createExternalService(): GrpcServiceModule {
  return {
    name: 'external',
    serviceNames: [ExternalService.typeName],
    routes: (router) => router.service(ExternalService, {}),
  };
}
