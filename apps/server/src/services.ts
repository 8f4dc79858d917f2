import { createFieldCipher, type GrpcServiceName } from '@tend/core';
import { type GrpcServiceModule } from '@tend/rpc';
import { createConversationService } from '@tend/conversation';
import { createExternalService } from '@tend/external';
import { createHealthService } from '@tend/health';
import { createNotificationService } from '@tend/notification';
import { createVoiceService } from '@tend/voice';
import type { Infrastructure } from './infrastructure.js';

/** How each gRPC service is built from the process's infrastructure. */
export function createServiceModules(infra: Infrastructure): Record<GrpcServiceName, () => Promise<GrpcServiceModule>> {
  const { config, logger, metrics } = infra;
  // One field cipher per process, shared by the services that seal free text (one key store).
  let cipher: ReturnType<typeof createFieldCipher> | undefined;
  const fieldCipher = () =>
    (cipher ??= createFieldCipher({
      encryptionKeys: config.encryptionKeys,
      blindIndexKey: config.blindIndexKey,
      dataDir: config.dataDir,
      keysDir: config.keysDir,
      requireConfiguredKeys: config.databaseUrl !== undefined,
    }));
  return {
    health: async () =>
      createHealthService({
        database: infra.database,
        bus: infra.bus,
        cache: infra.cache,
        cipher: await fieldCipher(),
        logger,
        metrics,
        limits: config.healthLimits,
        ...(config.passwordHashTestLog2N !== undefined && {
          passwordCost: { N: 2 ** config.passwordHashTestLog2N, r: 8, p: 1 },
        }),
      }),
    voice: async () =>
      createVoiceService({
        database: infra.database,
        bus: infra.bus,
        logger,
        metrics,
        concurrency: config.voice.concurrency,
        ...(config.voice.providerUrl && {
          provider: { baseUrl: config.voice.providerUrl, apiKey: config.voice.providerApiKey },
        }),
      }),
    conversation: async () =>
      createConversationService({
        database: infra.database,
        bus: infra.bus,
        health: infra.transportTo('health'),
        external: infra.transportTo('external'),
        notification: infra.transportTo('notification'),
        llm: config.llm,
        cache: infra.cache,
        cipher: await fieldCipher(),
        retentionDays: config.conversationRetentionDays,
        logger,
        metrics,
      }),
    notification: async () =>
      createNotificationService({
        database: infra.database,
        bus: infra.bus,
        health: infra.transportTo('health'),
        logger,
        metrics,
        dataDir: config.dataDir,
        keysDir: config.keysDir,
        channels: {
          email: config.notification.email,
          sms:
            config.notification.smsProviders.length > 0 ? { providers: config.notification.smsProviders } : undefined,
          // Web Push is always on: keys are generated into the data directory when not configured.
          push: config.notification.push,
          actionKey: config.notification.actionKey,
          publicUrl: config.notification.publicUrl,
        },
        scheduler: { reconcileIntervalMs: config.notification.reminderReconcileEveryMs },
      }),
    external: async () =>
      createExternalService({
        database: infra.database,
        bus: infra.bus,
        cache: infra.cache,
        logger,
        metrics,
        settings: config.external,
        health: infra.transportTo('health'),
        notification: infra.transportTo('notification'),
        cipher: await fieldCipher(),
      }),
  };
}
