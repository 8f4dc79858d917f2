import { createHmac, timingSafeEqual } from 'node:crypto';
import { PermanentDeliveryError, type SendReceipt } from './channel-sender.js';

/** One SMS provider: sends a text to an E.164 number. */
export interface SmsProvider {
  readonly name: string;
  send(to: string, body: string, signal: AbortSignal): Promise<SendReceipt>;
}

export interface TwilioApiOptions {
  /** Names the provider in metrics and logs, e.g. `twilio`, `signalwire`. */
  name: string;
  /**
   * Root of the REST API: `https://api.twilio.com` for Twilio, `https://<space>.signalwire.com/api/laml`
   * for SignalWire (which speaks Twilio's API).
   */
  baseUrl: string;
  accountSid: string;
  authToken: string;
  /** The sending number (E.164) or a Messaging Service SID (`MG…`). */
  from: string;
  /** Where the provider reports delivery (delivered / failed). */
  statusCallbackUrl?: string;
}

/**
 * Twilio's Messages resource (`POST /2010-04-01/Accounts/{sid}/Messages.json`, form-encoded,
 * HTTP basic auth with the account SID and auth token). The same API is spoken by SignalWire,
 * so one adapter serves both and failover can go from one account or provider to the other.
 * A 4xx other than 429 is the provider refusing this message (a bad or blocked number): no
 * retry will help.
 */
export class TwilioApiProvider implements SmsProvider {
  readonly name: string;

  constructor(private readonly options: TwilioApiOptions) {
    this.name = options.name;
  }

  async send(to: string, body: string, signal: AbortSignal): Promise<SendReceipt> {
    const { baseUrl, accountSid, authToken, from, statusCallbackUrl } = this.options;
    const form = new URLSearchParams({ To: to, Body: body });
    form.set(from.startsWith('MG') ? 'MessagingServiceSid' : 'From', from);
    if (statusCallbackUrl) form.set('StatusCallback', statusCallbackUrl);
    const response = await fetch(
      `${baseUrl.replace(/\/$/, '')}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json`,
      {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: form,
        signal,
      },
    );
    const payload = (await response.json().catch(() => ({}))) as { sid?: string; message?: string; code?: number };
    if (response.ok) return { providerRef: payload.sid };
    const reason = `${this.name} answered ${response.status}${payload.code ? ` (code ${payload.code})` : ''}: ${payload.message ?? ''}`;
    if (response.status >= 400 && response.status < 500 && response.status !== 429 && response.status !== 401) {
      throw new PermanentDeliveryError('sms', reason);
    }
    throw new Error(reason);
  }
}

/**
 * Twilio's request signature: HMAC-SHA1 with the auth token over the full URL followed by each
 * POST parameter's name and value, sorted by name; base64. Sent as `X-Twilio-Signature`.
 */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/** Whether `signature` is Twilio's for this request; constant time. */
export function verifyTwilioSignature(
  authToken: string,
  url: string,
  params: Record<string, string>,
  signature: string,
): boolean {
  const expected = Buffer.from(twilioSignature(authToken, url, params));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
