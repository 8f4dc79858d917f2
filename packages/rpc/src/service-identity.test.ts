import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import { CallerSchema, Role } from '@tend/proto/tend/common/v1/common';
import { HealthService } from '@tend/proto/tend/health/v1/health_service';
import { exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  ServiceIdentity,
  serviceAuthInterceptor,
  serviceIdentityKey,
  serviceTokenInterceptor,
} from './service-identity.js';

async function privateJwk(kid: string) {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return { ...(await exportJWK(privateKey)), kid };
}

/** A health service that answers who called it: the caller the payload names, and the token's service. */
function echoingHealth(server: ServiceIdentity, client?: ServiceIdentity) {
  const transport = createRouterTransport(
    (router) =>
      router.service(HealthService, {
        getUser: (req, context) => ({
          user: { id: req.caller?.service ?? '', displayName: context.values.get(serviceIdentityKey) ?? 'none' },
        }),
      }),
    {
      router: { interceptors: [serviceAuthInterceptor(server)] },
      transport: { interceptors: client ? [serviceTokenInterceptor(client)] : [] },
    },
  );
  return createClient(HealthService, transport);
}

const forgedCaller = create(CallerSchema, { role: Role.SERVICE, service: 'gateway' });

describe('service identity', () => {
  it('lets a call signed with a trusted key through, and stamps the caller with the signer', async () => {
    const conversation = await privateJwk('conversation');
    const { d: _d, ...conversationPublic } = conversation;
    const caller = new ServiceIdentity({ keys: JSON.stringify([conversation]) });
    const health = new ServiceIdentity({
      keys: JSON.stringify([await privateJwk('health')]),
      publicKeys: JSON.stringify([conversationPublic]),
    });
    const { user } = await echoingHealth(health, caller).getUser({ caller: forgedCaller });
    // The payload said "gateway"; the key said "conversation".
    expect(user).toMatchObject({ id: 'conversation', displayName: 'conversation' });
  });

  it('refuses a call without a token, whatever caller it names', async () => {
    const health = new ServiceIdentity({ keys: JSON.stringify([await privateJwk('health')]) });
    const error = await echoingHealth(health)
      .getUser({ caller: forgedCaller })
      .catch((e: unknown) => ConnectError.from(e));
    expect(error).toMatchObject({ code: Code.Unauthenticated });
  });

  it('refuses a token signed by a key it does not trust', async () => {
    const health = new ServiceIdentity({ keys: JSON.stringify([await privateJwk('health')]) });
    const stranger = new ServiceIdentity({ keys: JSON.stringify([await privateJwk('gateway')]) });
    const error = await echoingHealth(health, stranger)
      .getUser({ caller: forgedCaller })
      .catch((e: unknown) => ConnectError.from(e));
    expect(error).toMatchObject({ code: Code.Unauthenticated });
  });

  it('refuses an expired token', async () => {
    const key = await privateJwk('gateway');
    let now = 1_800_000_000;
    const signer = new ServiceIdentity({ keys: JSON.stringify([key]), nowS: () => now });
    const token = await signer.token();
    expect(await signer.verify(token)).toBe('gateway');
    now += 121;
    const verifier = new ServiceIdentity({ keys: JSON.stringify([key]), nowS: () => now });
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: Code.Unauthenticated });
  });

  it('refuses a token minted for another service: one for health does not open notification', async () => {
    const gatewayKey = await privateJwk('gateway');
    const gateway = new ServiceIdentity({ keys: JSON.stringify([gatewayKey]) });
    const trustsGateway = new ServiceIdentity({
      keys: JSON.stringify([await privateJwk('notification')]),
      publicKeys: JSON.stringify([{ ...gatewayKey, d: undefined }]),
    });
    const forHealth = await gateway.token('tend.health.v1.HealthService');
    expect(await trustsGateway.verify(forHealth, 'tend.health.v1.HealthService')).toBe('gateway');
    await expect(trustsGateway.verify(forHealth, 'tend.notification.v1.NotificationService')).rejects.toMatchObject({
      code: Code.Unauthenticated,
    });
    const forNotification = await gateway.token('tend.notification.v1.NotificationService');
    expect(forNotification).not.toBe(forHealth);
    expect(await trustsGateway.verify(forNotification, 'tend.notification.v1.NotificationService')).toBe('gateway');
  });

  it('names the variable when a key is malformed', () => {
    expect(() => new ServiceIdentity({ keys: '[{"kty":"RSA"}]' })).toThrow(/TEND_SERVICE_KEYS/);
    expect(() => new ServiceIdentity({ publicKeys: 'not json' })).toThrow(/TEND_SERVICE_PUBLIC_KEYS/);
  });
});
