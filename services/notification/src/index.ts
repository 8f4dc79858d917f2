import type { GrpcServiceModule } from '@tend/platform';
import { NotificationService } from '@tend/proto/tend/notification/v1/notification';

/**
 * The notification service as the binary hosts it. Its contract is served on its own port; methods
 * without an implementation yet answer gRPC UNIMPLEMENTED.
 */
export function createNotificationService(): GrpcServiceModule {
  return {
    name: 'notification',
    serviceNames: [NotificationService.typeName],
    routes: (router) => router.service(NotificationService, {}),
  };
}
