import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A message as the SMTP server received it. */
export interface ReceivedMail {
  from: string;
  to: string[];
  /** The whole RFC 5322 message as sent. */
  raw: string;
}

/**
 * A real SMTP server on loopback (the `smtp-server` package), with authentication, keeping what
 * it receives. `down()` makes it refuse every message (451, a temporary failure) until `up()`.
 */
export class SmtpTestServer {
  readonly received: ReceivedMail[] = [];
  #refusing = false;
  #server: SMTPServer;
  port = 0;

  constructor(
    readonly user = 'tend',
    readonly pass = 'smtp-secret',
  ) {
    this.#server = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS'],
      authOptional: false,
      onAuth: (auth, _session, callback) => {
        if (auth.username === this.user && auth.password === this.pass) callback(null, { user: auth.username });
        else callback(new Error('invalid credentials'));
      },
      onMailFrom: (_address, _session, callback) => {
        if (this.#refusing) {
          const error = new Error('service not available, try later') as Error & { responseCode: number };
          error.responseCode = 451;
          callback(error);
        } else callback();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          this.received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
      logger: false,
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `smtp://${this.user}:${this.pass}@127.0.0.1:${this.port}`;
  }

  down(): void {
    this.#refusing = true;
  }

  up(): void {
    this.#refusing = false;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
