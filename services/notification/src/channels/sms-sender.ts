import { createResiliencePolicy, type Logger, type Metrics, type ResiliencePolicy } from '@tend/core';
import {
  PermanentDeliveryError,
  type ChannelSender,
  type DeviceAddress,
  type OutgoingMessage,
  type SendReceipt,
} from './channel-sender.js';
import type { SmsProvider } from './twilio-api.js';

export interface SmsSenderOptions {
  /** In order of preference; the next is tried when one fails or its breaker is open. */
  providers: SmsProvider[];
  logger: Logger;
  metrics: Metrics;
  /** Per attempt. @default 10000 */
  timeoutMs?: number;
  /** Consecutive failures that open a provider's breaker. @default 5 */
  breakerThreshold?: number;
  /** @default 30000 */
  breakerHalfOpenAfterMs?: number;
}

/** SMS text: title and body in one message, with how to answer when it is a dose reminder. */
function smsText(message: OutgoingMessage): string {
  const reply =
    message.data.reminderKind === 'dose_due'
      ? message.language === 'zh'
        ? ' 回复 1 表示已服用。'
        : ' Reply 1 or TAKEN when taken.'
      : '';
  return `${message.title}: ${message.body}${reply}`;
}

/**
 * SMS through a list of providers with failover: each provider has its own timeout and circuit
 * breaker; a message goes to the first whose breaker is closed and, if that fails, to the next.
 * A refusal of the message itself (a bad number) is not failed over: every provider would refuse it.
 */
export class SmsSender implements ChannelSender {
  readonly channel = 'sms' as const;
  readonly #policies: { provider: SmsProvider; policy: ResiliencePolicy }[];

  constructor(private readonly options: SmsSenderOptions) {
    if (options.providers.length === 0) throw new RangeError('SmsSender needs at least one provider');
    this.#policies = options.providers.map((provider) => ({
      provider,
      policy: createResiliencePolicy({
        name: `sms-${provider.name}`,
        timeoutMs: options.timeoutMs ?? 10_000,
        breakerThreshold: options.breakerThreshold ?? 5,
        breakerHalfOpenAfterMs: options.breakerHalfOpenAfterMs ?? 30_000,
        logger: options.logger,
        metrics: options.metrics,
      }),
    }));
  }

  async send(to: DeviceAddress, message: OutgoingMessage): Promise<SendReceipt> {
    if (to.kind !== 'phone') throw new PermanentDeliveryError('sms', `cannot text a ${to.kind} device`);
    const text = smsText(message);
    let lastError: unknown;
    for (const { provider, policy } of this.#policies) {
      try {
        const receipt = await policy.executeOnce((signal) => provider.send(to.address, text, signal));
        return { providerRef: receipt.providerRef && `${provider.name}:${receipt.providerRef}` };
      } catch (error) {
        if (error instanceof PermanentDeliveryError) throw error;
        lastError = error;
        this.options.logger.warn({ provider: provider.name, err: error }, 'SMS provider failed; trying the next');
      }
    }
    throw lastError;
  }

  /** Each provider's breaker, for status pages and tests. */
  breakerStates(): Record<string, string> {
    return Object.fromEntries(this.#policies.map(({ provider, policy }) => [provider.name, policy.breakerState()]));
  }

  /** Sends a bare text (a verification code) through the same failover. */
  async sendText(to: string, text: string): Promise<void> {
    let lastError: unknown;
    for (const { provider, policy } of this.#policies) {
      try {
        await policy.executeOnce((signal) => provider.send(to, text, signal));
        return;
      } catch (error) {
        if (error instanceof PermanentDeliveryError) throw error;
        lastError = error;
      }
    }
    throw lastError;
  }
}
