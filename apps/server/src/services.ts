import type { GrpcServiceModule, GrpcServiceName } from '@tend/platform';
import { createConversationService } from '@tend/conversation';
import { createExternalService } from '@tend/external';
import { createHealthService } from '@tend/health';
import { createNotificationService } from '@tend/notification';
import { createVoiceService } from '@tend/voice';
import type { Infrastructure } from './infrastructure.js';

/** How each gRPC service is built from the process's infrastructure. */
export function createServiceModules(infra: Infrastructure): Record<GrpcServiceName, () => GrpcServiceModule> {
  const { logger, metrics } = infra;
  return {
    health: () => createHealthService({ database: infra.database, bus: infra.bus, logger, metrics }),
    voice: () => createVoiceService(),
    conversation: () => createConversationService(),
    notification: () => createNotificationService(),
    external: () => createExternalService(),
  };
}
