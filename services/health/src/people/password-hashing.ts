import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt's work factors: N (CPU and memory), r (block size), p (parallelism). */
export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/**
 * scrypt cost for new hashes: N = 2^17, r = 8, p = 1, the figure OWASP's password storage cheat
 * sheet gives for scrypt. One hash needs 128 × N × r = 128 MiB and takes about half a second on
 * the 2-core reference machine (2^16 measured 257 ms there). The parameters are stored in every
 * hash, so older hashes still verify and are upgraded on the next successful login.
 */
export const scryptCost: ScryptCost = { N: 2 ** 17, r: 8, p: 1 };

/**
 * Derivations running at once per process. Each holds 128 MiB at the production cost; two bound
 * a burst of logins to 256 MiB (the rest wait their turn) instead of one per libuv thread.
 */
const concurrentDerivations = 2;

const saltBytes = 16;
const keyBytes = 32;
// A stored hash may ask for at most this (a corrupted or hostile row must not ask for gigabytes).
const maxStored = { N: 2 ** 17, r: 16, p: 4 };

/**
 * Password hashes as `scrypt$N$r$p$<salt>$<hash>` (base64url parts): salted, slow, compared in
 * constant time, on the async scrypt so logins do not block the event loop. The cost comes in
 * through the constructor: production takes the default, and only tests pass a lower one
 * (`PASSWORD_HASH_TEST_LOG2N`, refused in distributed mode).
 */
export class PasswordHasher {
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  #dummy: Promise<string> | undefined;

  constructor(readonly cost: ScryptCost = scryptCost) {}

  /** A fresh salted hash of `password` at this hasher's cost. */
  async hash(password: string): Promise<string> {
    const salt = randomBytes(saltBytes);
    const key = await this.#derive(password, salt, this.cost);
    const { N, r, p } = this.cost;
    return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
  }

  /**
   * Whether `password` matches `stored`. A malformed hash never matches (and never throws), so a
   * corrupted row reads as a wrong password.
   */
  async verify(password: string, stored: string): Promise<boolean> {
    const parsed = parseHash(stored);
    if (!parsed) return false;
    const actual = await this.#derive(password, parsed.salt, parsed.cost);
    return timingSafeEqual(actual, parsed.key);
  }

  /** Whether `stored` was made at a lower cost than this hasher's (never true for a stronger one). */
  needsRehash(stored: string): boolean {
    const parsed = parseHash(stored);
    if (!parsed) return false;
    return parsed.cost.N < this.cost.N || parsed.cost.r < this.cost.r || parsed.cost.p < this.cost.p;
  }

  /**
   * A real hash of a random password, made once. VerifyCredentials checks the given password
   * against it when the e-mail is unknown, so an unknown e-mail costs the same scrypt work as a
   * wrong password and timing does not reveal which accounts exist.
   */
  dummyHash(): Promise<string> {
    this.#dummy ??= this.hash(randomBytes(16).toString('base64url'));
    return this.#dummy;
  }

  async #derive(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
    // A finishing derivation hands its slot straight to the next waiter, so the bound holds.
    if (this.#running < concurrentDerivations) this.#running++;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      // scrypt needs 128 × N × r bytes; Node refuses above maxmem (32 MiB by default).
      const options: ScryptOptions = { ...cost, maxmem: 128 * cost.N * cost.r + 1024 * 1024 };
      return await new Promise<Buffer>((resolve, reject) => {
        scrypt(password.normalize('NFKC'), salt, keyBytes, options, (error, key) =>
          error ? reject(error) : resolve(key),
        );
      });
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}

function parseHash(stored: string): { cost: ScryptCost; salt: Buffer; key: Buffer } | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const powerOfTwo = Number.isInteger(N) && N > 1 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N > maxStored.N || !Number.isInteger(r) || r < 1 || r > maxStored.r) return undefined;
  if (!Number.isInteger(p) || p < 1 || p > maxStored.p) return undefined;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const key = Buffer.from(parts[5]!, 'base64url');
  if (key.length !== keyBytes) return undefined;
  return { cost: { N, r, p }, salt, key };
}
