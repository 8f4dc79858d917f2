import { join } from 'node:path';
import webpush from 'web-push';
import { localSecretFile } from '@tend/core';
import {
  PermanentDeliveryError,
  type ChannelSender,
  type DeviceAddress,
  type OutgoingMessage,
  type SendReceipt,
} from './channel-sender.js';

/** The application server's VAPID key pair (RFC 8292), base64url as browsers take them. */
export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  /** `mailto:` or `https:` contact for push services. */
  subject: string;
}

/**
 * VAPID keys from configuration, else the pair kept in the data directory, else a new pair
 * written there (mode 0600): subscriptions are bound to the public key, so it must survive
 * restarts.
 */
export async function loadVapidKeys(options: {
  publicKey?: string;
  privateKey?: string;
  subject?: string;
  dataDir: string;
  /** Where generated keys live (`TEND_KEYS_DIR`). @default `<dataDir>/keys` */
  keysDir?: string;
}): Promise<VapidKeys> {
  const subject = options.subject ?? 'mailto:notifications@tend.local';
  if (options.publicKey && options.privateKey) {
    return { publicKey: options.publicKey, privateKey: options.privateKey, subject };
  }
  // Generated keys live in the 0700 keys directory with the others, never beside the data; a
  // file an older version left in the data directory moves there.
  const stored = await localSecretFile<{ publicKey: string; privateKey: string }>({
    keysDir: options.keysDir ?? join(options.dataDir, 'keys'),
    name: 'vapid-keys.json',
    formerPath: join(options.dataDir, 'vapid-keys.json'),
    make: () => webpush.generateVAPIDKeys(),
  });
  return { publicKey: stored.publicKey, privateKey: stored.privateKey, subject };
}

/**
 * Web Push (RFC 8030) with the `web-push` package: the payload encrypted for the subscription
 * (RFC 8291, aes128gcm) and the request signed with VAPID (RFC 8292). The payload carries the
 * title, body and the action tokens the service worker turns into buttons. A 404 or 410 means
 * the subscription is gone, and a refusal of the message itself cannot be mended: permanent.
 */
export class PushSender implements ChannelSender {
  readonly channel = 'push' as const;

  constructor(
    private readonly keys: VapidKeys,
    private readonly options: { timeoutMs?: number; ttlSeconds?: number } = {},
  ) {}

  async send(to: DeviceAddress, message: OutgoingMessage, signal: AbortSignal): Promise<SendReceipt> {
    if (to.kind !== 'push') throw new PermanentDeliveryError('push', `cannot push to a ${to.kind} device`);
    const payload = JSON.stringify({
      id: message.notificationId,
      kind: message.kind,
      title: message.title,
      body: message.body,
      data: message.data,
      actions: message.actions,
    });
    // web-push encrypts the payload and signs the VAPID token; the request goes out with fetch,
    // which honours the abort signal (and plain http, for a push service on loopback).
    const details = webpush.generateRequestDetails({ endpoint: to.address, keys: to.keys }, payload, {
      vapidDetails: this.keys,
      TTL: this.options.ttlSeconds ?? 4 * 60 * 60,
      contentEncoding: 'aes128gcm',
      urgency: message.kind === 'emergency' ? 'high' : 'normal',
    });
    const response = await fetch(details.endpoint, {
      method: details.method,
      headers: details.headers as Record<string, string>,
      body: details.body,
      signal: AbortSignal.any([signal, AbortSignal.timeout(this.options.timeoutMs ?? 10_000)]),
    });
    await response.arrayBuffer().catch(() => undefined);
    if (response.status === 404 || response.status === 410) {
      throw new PermanentDeliveryError('push', `the subscription is gone (${response.status})`);
    }
    if ([400, 401, 403, 413].includes(response.status)) {
      throw new PermanentDeliveryError('push', `the push service refused the message (${response.status})`);
    }
    if (!response.ok) throw new Error(`the push service answered ${response.status}`);
    return { providerRef: response.headers.get('location') ?? undefined };
  }
}
