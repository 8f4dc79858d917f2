import { createDecipheriv, createECDH, createHmac, createPublicKey, randomBytes, verify } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A push message as a browser would receive it, after the push service checked and relayed it. */
export interface ReceivedPush {
  subscriptionId: string;
  payload: string;
  ttl: number;
  urgency: string | undefined;
}

const hmac = (key: Buffer, data: Buffer) => createHmac('sha256', key).update(data).digest();

/**
 * A local push service and the browser behind it. It makes subscriptions (a P-256 key pair and
 * an auth secret per subscription, as a user agent does), and for each push it checks the VAPID
 * authorization (RFC 8292: `vapid t=<JWT>, k=<key>`, an ES256 JWT whose `aud` is this origin,
 * unexpired, with a `sub`, signed by `k`), then decrypts the `aes128gcm` body with the
 * subscription's private key (RFC 8291 / RFC 8188), as the browser would. A push that fails a
 * check is refused with 401 or 400; an unknown subscription gets 410 Gone.
 */
export class PushTestService {
  readonly received: ReceivedPush[] = [];
  readonly refused: string[] = [];
  readonly #subscriptions = new Map<string, { ecdh: ReturnType<typeof createECDH>; auth: Buffer }>();
  #server: Server;
  port = 0;

  constructor() {
    this.#server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const refuse = (status: number, reason: string) => {
          this.refused.push(reason);
          response.writeHead(status).end(reason);
        };
        const id = (request.url ?? '').replace(/^\/push\//, '');
        const subscription = this.#subscriptions.get(id);
        if (!subscription) return refuse(410, 'no such subscription');
        const vapid = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(String(request.headers.authorization ?? ''));
        if (!vapid) return refuse(401, 'missing VAPID authorization');
        const problem = this.#checkJwt(vapid[1]!, vapid[2]!);
        if (problem) return refuse(401, problem);
        if (request.headers['content-encoding'] !== 'aes128gcm')
          return refuse(400, 'content-encoding must be aes128gcm');
        try {
          const payload = decrypt(Buffer.concat(chunks), subscription.ecdh, subscription.auth);
          this.received.push({
            subscriptionId: id,
            payload,
            ttl: Number(request.headers.ttl),
            urgency: request.headers.urgency as string | undefined,
          });
          response.writeHead(201, { location: `${this.origin}/messages/${randomBytes(8).toString('hex')}` }).end();
        } catch (error) {
          refuse(400, `cannot decrypt: ${(error as Error).message}`);
        }
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A new subscription, as `PushSubscription.toJSON()` gives it to the app. */
  subscribe(): { id: string; endpoint: string; p256dh: string; auth: string } {
    const id = randomBytes(8).toString('hex');
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const auth = randomBytes(16);
    this.#subscriptions.set(id, { ecdh, auth });
    return {
      id,
      endpoint: `${this.origin}/push/${id}`,
      p256dh: ecdh.getPublicKey().toString('base64url'),
      auth: auth.toString('base64url'),
    };
  }

  /** Forgets a subscription: pushes to it get 410 Gone, as after a user unsubscribes. */
  unsubscribe(id: string): void {
    this.#subscriptions.delete(id);
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #checkJwt(jwt: string, key: string): string | undefined {
    const [header, claims, signature] = jwt.split('.');
    if (!header || !claims || !signature) return 'the VAPID token is not a JWT';
    const head = JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg?: string };
    if (head.alg !== 'ES256') return 'the VAPID token must be ES256';
    const raw = Buffer.from(key, 'base64url');
    if (raw.length !== 65 || raw[0] !== 4) return 'the VAPID key must be an uncompressed P-256 point';
    const publicKey = createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: raw.subarray(1, 33).toString('base64url'),
        y: raw.subarray(33).toString('base64url'),
      },
      format: 'jwk',
    });
    const valid = verify(
      'sha256',
      Buffer.from(`${header}.${claims}`),
      { key: publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(signature, 'base64url'),
    );
    if (!valid) return 'the VAPID signature does not verify';
    const body = JSON.parse(Buffer.from(claims, 'base64url').toString()) as {
      aud?: string;
      exp?: number;
      sub?: string;
    };
    if (body.aud !== this.origin) return `the VAPID audience must be ${this.origin}`;
    const now = Date.now() / 1000;
    if (!body.exp || body.exp < now || body.exp > now + 24 * 3600)
      return 'the VAPID token is expired or too long-lived';
    if (!body.sub || !/^(mailto:|https:)/.test(body.sub)) return 'the VAPID subject must be a mailto: or https: URL';
    return undefined;
  }
}

/** RFC 8291 decryption of an aes128gcm body for the subscription's key pair and auth secret. */
function decrypt(body: Buffer, ecdh: ReturnType<typeof createECDH>, authSecret: Buffer): string {
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const idLength = body[20]!;
  const serverPublic = body.subarray(21, 21 + idLength);
  const ciphertext = body.subarray(21 + idLength);
  if (ciphertext.length > recordSize) throw new Error('more than one record');
  const shared = ecdh.computeSecret(serverPublic);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), ecdh.getPublicKey(), serverPublic]);
  const ikm = hmac(hmac(authSecret, shared), Buffer.concat([keyInfo, Buffer.from([1])]));
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0\x01')).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0\x01')).subarray(0, 12);
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const padded = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  // The last record ends with the delimiter 0x02 followed by zero padding.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end -= 1;
  if (padded[end] !== 2) throw new Error('no last-record delimiter');
  return padded.subarray(0, end).toString('utf8');
}
