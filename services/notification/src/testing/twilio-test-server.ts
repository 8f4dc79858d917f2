import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { twilioSignature } from '../channels/twilio-api.js';

/** A text as the provider accepted it. */
export interface AcceptedSms {
  sid: string;
  to: string;
  from: string;
  body: string;
  /** Where the provider reports the message's delivery (`StatusCallback`), if asked to. */
  statusCallback?: string;
}

/** A status callback as the provider would post it: to the URL, with its form and signature. */
export interface SignedStatusCallback {
  url: string;
  params: Record<string, string>;
  signature: string;
}

/**
 * A local server speaking Twilio's Messages resource: `POST /2010-04-01/Accounts/{sid}/Messages.json`,
 * form-encoded, HTTP basic auth checked against the account SID and token (401 with Twilio's
 * error shape otherwise), 201 with the message resource on success. `failWith(status)` makes it
 * answer every send with that status, as a provider having an outage would; `hang()` makes it
 * take each send and never answer (a provider timing out), accepting none of them.
 */
export class TwilioTestServer {
  readonly accepted: AcceptedSms[] = [];
  /** Requests refused for bad credentials. */
  unauthorized = 0;
  #failStatus: number | undefined;
  #hanging = false;
  /** Sends held unanswered while hanging; dropped, unaccepted, when it answers again. */
  readonly #held = new Set<ServerResponse>();
  /** Sends refused or left unanswered by an outage. */
  refused = 0;
  #server: Server;
  port = 0;

  constructor(
    readonly accountSid = `AC${'0'.repeat(31)}1`,
    readonly authToken = 'twilio-test-token',
  ) {
    this.#server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const json = (status: number, body: unknown) => {
          response.writeHead(status, { 'content-type': 'application/json' });
          response.end(JSON.stringify(body));
        };
        const expectedAuth = `Basic ${Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64')}`;
        if (request.headers.authorization !== expectedAuth) {
          this.unauthorized += 1;
          return json(401, { code: 20003, message: 'Authentication Error - invalid username', status: 401 });
        }
        if (request.method !== 'POST' || request.url !== `/2010-04-01/Accounts/${this.accountSid}/Messages.json`) {
          return json(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
        }
        if (this.#hanging) {
          this.refused += 1;
          this.#held.add(response);
          response.on('close', () => this.#held.delete(response));
          return;
        }
        if (this.#failStatus) {
          this.refused += 1;
          return json(this.#failStatus, { code: 20500, message: 'Internal Server Error', status: this.#failStatus });
        }
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const to = form.get('To') ?? '';
        if (!/^\+[1-9]\d{6,14}$/.test(to)) {
          return json(400, { code: 21211, message: `The 'To' number ${to} is not a valid phone number.`, status: 400 });
        }
        const sid = `SM${Math.random().toString(16).slice(2).padEnd(32, '0').slice(0, 32)}`;
        this.accepted.push({
          sid,
          to,
          from: form.get('From') ?? '',
          body: form.get('Body') ?? '',
          statusCallback: form.get('StatusCallback') ?? undefined,
        });
        json(201, {
          sid,
          to,
          from: form.get('From'),
          body: form.get('Body'),
          status: 'queued',
          account_sid: this.accountSid,
        });
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * The status callback Twilio would post for an accepted message ("delivered", "undelivered",
   * "failed"), signed with the account's auth token as `X-Twilio-Signature`.
   */
  statusCallbackFor(sid: string, status: string, errorCode?: string): SignedStatusCallback {
    const message = this.accepted.find((m) => m.sid === sid);
    if (!message?.statusCallback) throw new Error(`message ${sid} asked for no status callback`);
    const params: Record<string, string> = {
      AccountSid: this.accountSid,
      MessageSid: sid,
      SmsSid: sid,
      MessageStatus: status,
      SmsStatus: status,
      To: message.to,
      From: message.from,
      ApiVersion: '2010-04-01',
      ...(errorCode && { ErrorCode: errorCode }),
    };
    return {
      url: message.statusCallback,
      params,
      signature: twilioSignature(this.authToken, message.statusCallback, params),
    };
  }

  failWith(status: number | undefined): void {
    this.#failStatus = status;
  }

  /** Takes sends and never answers them, until `answer()`. */
  hang(): void {
    this.#hanging = true;
  }

  /** Answers again: the sends held unanswered are dropped (their connections cut), none accepted. */
  answer(): void {
    this.#hanging = false;
    for (const response of this.#held) response.destroy();
    this.#held.clear();
  }

  async stop(): Promise<void> {
    this.answer();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
