import type { GrpcServiceModule } from '@tend/platform';
import { VoiceService } from '@tend/proto/tend/voice/v1/voice';

/**
 * The voice service as the binary hosts it. Its contract is served on its own port; methods
 * without an implementation yet answer gRPC UNIMPLEMENTED.
 */
export function createVoiceService(): GrpcServiceModule {
  return {
    name: 'voice',
    serviceNames: [VoiceService.typeName],
    routes: (router) => router.service(VoiceService, {}),
  };
}
