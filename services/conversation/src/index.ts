import type { GrpcServiceModule } from '@tend/platform';
import { ConversationService } from '@tend/proto/tend/conversation/v1/conversation';

/**
 * The conversation service as the binary hosts it. Its contract is served on its own port; methods
 * without an implementation yet answer gRPC UNIMPLEMENTED.
 */
export function createConversationService(): GrpcServiceModule {
  return {
    name: 'conversation',
    serviceNames: [ConversationService.typeName],
    routes: (router) => router.service(ConversationService, {}),
  };
}
