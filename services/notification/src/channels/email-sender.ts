import nodemailer, { type Transporter } from 'nodemailer';
import {
  PermanentDeliveryError,
  type ChannelSender,
  type DeviceAddress,
  type OutgoingMessage,
  type SendReceipt,
} from './channel-sender.js';
import { emailOf } from './email-templates.js';

export interface EmailSenderOptions {
  /** `smtp://user:pass@host:587` or `smtps://...`; STARTTLS is used when the server offers it. */
  smtpUrl: string;
  /** The From header, e.g. `Tend <reminders@example.com>`. */
  from: string;
  /** The link of an action token in an e-mail. */
  actionUrl: (token: string) => string;
  /** Accept self-signed certificates (local test servers only). @default false */
  allowInsecureTls?: boolean;
}

/**
 * E-mail over SMTP with nodemailer: HTML and text, in the recipient's language. The delivery id
 * becomes the Message-ID, so a retried message can be recognised as the same one.
 */
export class EmailSender implements ChannelSender {
  readonly channel = 'email' as const;
  readonly #transport: Transporter;

  constructor(private readonly options: EmailSenderOptions) {
    const url = new URL(options.smtpUrl);
    this.#transport = nodemailer.createTransport({
      host: url.hostname,
      port: Number(url.port) || (url.protocol === 'smtps:' ? 465 : 587),
      secure: url.protocol === 'smtps:',
      ...(url.username
        ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }
        : {}),
      ...(options.allowInsecureTls ? { tls: { rejectUnauthorized: false } } : {}),
      // A dead server is noticed in seconds, not nodemailer's minutes.
      connectionTimeout: 5_000,
      greetingTimeout: 5_000,
      socketTimeout: 10_000,
    });
  }

  async send(to: DeviceAddress, message: OutgoingMessage): Promise<SendReceipt> {
    if (to.kind !== 'email') throw new PermanentDeliveryError('email', `cannot e-mail a ${to.kind} device`);
    const mail = emailOf(message, this.options.actionUrl);
    const domain = this.options.from.replace(/^.*@/, '').replace(/>.*$/, '') || 'tend.local';
    const info = (await this.#transport.sendMail({
      from: this.options.from,
      to: to.address,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      messageId: `<${message.deliveryId}@${domain}>`,
      headers: { 'Content-Language': message.language === 'zh' ? 'zh-CN' : 'en' },
    })) as { messageId?: string; rejected?: unknown[] };
    if (info.rejected && info.rejected.length > 0) {
      throw new PermanentDeliveryError('email', `the server refused ${to.address}`);
    }
    return { providerRef: info.messageId };
  }

  close(): void {
    this.#transport.close();
  }
}
