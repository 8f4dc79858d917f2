import type { ChannelName } from '../preferences/preference-rules.js';

/** Where one device receives messages. */
export type DeviceAddress =
  | { kind: 'email'; address: string }
  | { kind: 'phone'; address: string }
  | { kind: 'push'; address: string; keys: { p256dh: string; auth: string } };

/** A message ready for a channel: written in the recipient's language. */
export interface OutgoingMessage {
  /** The delivery's id: the same id for every retry, so a provider that keeps ids can drop repeats. */
  deliveryId: string;
  notificationId: string;
  kind: string;
  title: string;
  body: string;
  language: 'en' | 'zh';
  /** What the message is about (reminder id, medication id, ...). */
  data: Record<string, string>;
  /** One-tap actions (Taken, Skip, Snooze) as signed tokens, for channels that show buttons. */
  actions: { action: string; title: string; token: string }[];
}

/** What a provider said when it accepted a message. */
export interface SendReceipt {
  /** The provider's id of the message (Twilio's SID, the SMTP message id). */
  providerRef?: string;
}

/**
 * One way of reaching people outside the app. A sender throws when the message was not
 * accepted; the delivery worker then retries with backoff, and gives up (dead letter) after its
 * last attempt. A sender that knows a failure is permanent (an expired push subscription) throws
 * `PermanentDeliveryError`, and no retry follows.
 */
export interface ChannelSender {
  readonly channel: Exclude<ChannelName, 'in_app'>;
  send(to: DeviceAddress, message: OutgoingMessage, signal: AbortSignal): Promise<SendReceipt>;
}

/** A failure no retry can mend: the address is gone or refused. */
export class PermanentDeliveryError extends Error {
  override name = 'PermanentDeliveryError';
  constructor(
    readonly channel: string,
    message: string,
    opts?: ErrorOptions,
  ) {
    super(message, opts);
  }
}
