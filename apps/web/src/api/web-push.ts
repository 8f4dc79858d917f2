import type { Api } from './client.js';
import { unwrap } from './problem.js';

/** Whether this browser can receive Web Push at all (and the app's service worker runs here). */
export function pushSupported(): boolean {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

/**
 * Subscribes this browser to Tend's Web Push with the notification service's VAPID key, and
 * registers the subscription as a device. The browser asks the person first; a refusal is
 * thrown as `NotAllowedError`, for the screen to explain.
 */
export async function subscribeThisBrowser(api: Api): Promise<void> {
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new DOMException('notifications were not allowed', 'NotAllowedError');
  const { publicKey } = await unwrap(api.client.GET('/api/v1/push/vapid-public-key'));
  const registration = await navigator.serviceWorker.ready;
  const subscription =
    (await registration.pushManager.getSubscription()) ??
    (await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: base64UrlBytes(publicKey),
    }));
  const { endpoint, keys } = subscription.toJSON();
  if (!endpoint || !keys?.p256dh || !keys.auth) throw new Error('the browser gave an incomplete subscription');
  await unwrap(
    api.client.POST('/api/v1/devices', {
      body: { kind: 'push', subscription: { endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth } } },
    }),
  );
}

/** The bytes of a base64url text (the VAPID key's encoding), as PushManager wants them. */
function base64UrlBytes(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(text.length / 4) * 4, '=');
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
