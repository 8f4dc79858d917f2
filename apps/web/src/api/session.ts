/** The tokens the API answers a sign-in, sign-up or refresh with. */
export interface Tokens {
  accessToken: string;
  refreshToken: string;
  /** Seconds the access token lives. */
  expiresIn: number;
  user: Record<string, unknown>;
}

/** Who is signed in, as the screens see it. */
export interface SignedIn {
  userId: string;
  displayName: string;
  role: 'user' | 'caregiver' | 'admin';
  locale: string;
  timeZone: string;
}

export interface SessionOptions {
  /** Sends the refresh call; the session never reads tokens from anywhere but its own memory. */
  refresh: (refreshToken: string) => Promise<Tokens>;
  /** Refresh this long before the access token expires. @default 60_000 */
  refreshLeadMs?: number;
  /** @default globalThis.setTimeout */
  setTimer?: (run: () => void, ms: number) => unknown;
  /** @default globalThis.clearTimeout */
  clearTimer?: (timer: unknown) => void;
}

/**
 * The signed-in person's tokens, held in this page's memory only: never in localStorage or
 * sessionStorage, where any script injected into the page could read them. The access token is
 * refreshed silently a minute before it expires and whenever the API answers 401; a refresh
 * that fails (the refresh token was revoked or reused) signs the person out. Reloading the page
 * forgets the session on purpose; the README argues this choice.
 */
export class Session {
  #tokens: Tokens | undefined;
  // One object per change, so React's useSyncExternalStore sees a stable snapshot.
  #user: SignedIn | undefined;
  #refreshing: Promise<string | undefined> | undefined;
  #timer: unknown;
  #listeners = new Set<() => void>();
  readonly #lead: number;
  readonly #setTimer: (run: () => void, ms: number) => unknown;
  readonly #clearTimer: (timer: unknown) => void;

  constructor(private readonly options: SessionOptions) {
    this.#lead = options.refreshLeadMs ?? 60_000;
    this.#setTimer = options.setTimer ?? ((run, ms) => globalThis.setTimeout(run, ms));
    this.#clearTimer = options.clearTimer ?? ((timer) => globalThis.clearTimeout(timer as number));
  }

  /** The person signed in, or undefined. */
  get user(): SignedIn | undefined {
    return this.#user;
  }

  /** The current access token, for the Authorization header. */
  get accessToken(): string | undefined {
    return this.#tokens?.accessToken;
  }

  /** The refresh token, for signing out (the API revokes the session it belongs to). */
  get refreshToken(): string | undefined {
    return this.#tokens?.refreshToken;
  }

  /** Starts a session from a sign-in's answer. */
  signIn(tokens: Tokens): void {
    this.#tokens = tokens;
    this.#user = signedInOf(tokens.user);
    this.#schedule();
    this.#emit();
  }

  /** Keeps the profile shown in sync after the person changed it. */
  updateUser(user: Record<string, unknown>): void {
    if (!this.#tokens) return;
    this.#tokens = { ...this.#tokens, user };
    this.#user = signedInOf(user);
    this.#emit();
  }

  /** Forgets the tokens (the caller tells the API first). */
  signOut(): void {
    if (this.#timer !== undefined) this.#clearTimer(this.#timer);
    this.#timer = undefined;
    this.#tokens = undefined;
    this.#user = undefined;
    this.#emit();
  }

  /**
   * A fresh access token from the refresh token, or undefined when the session has ended. Calls
   * at the same moment share one refresh: the API rotates refresh tokens and treats a second use
   * of the old one as theft, which would end the session.
   */
  refresh(): Promise<string | undefined> {
    this.#refreshing ??= this.#doRefresh().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  /** Calls `listener` whenever the person signs in or out or their profile changes. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async #doRefresh(): Promise<string | undefined> {
    const current = this.#tokens;
    if (!current) return undefined;
    try {
      const tokens = await this.options.refresh(current.refreshToken);
      if (this.#tokens !== current) return this.#tokens?.accessToken;
      this.signIn(tokens);
      return tokens.accessToken;
    } catch {
      if (this.#tokens === current) this.signOut();
      return undefined;
    }
  }

  #schedule(): void {
    if (this.#timer !== undefined) this.#clearTimer(this.#timer);
    const tokens = this.#tokens;
    if (!tokens) return;
    const inMs = Math.max(5_000, tokens.expiresIn * 1000 - this.#lead);
    this.#timer = this.#setTimer(() => void this.refresh(), inMs);
  }

  #emit(): void {
    for (const listener of this.#listeners) listener();
  }
}

function signedInOf(user: Record<string, unknown>): SignedIn {
  const text = (key: string, fallback: string): string => (typeof user[key] === 'string' ? user[key] : fallback);
  const role = text('role', 'user');
  return {
    userId: text('id', ''),
    displayName: text('displayName', ''),
    role: role === 'caregiver' || role === 'admin' ? role : 'user',
    locale: text('locale', 'en'),
    timeZone: text('timeZone', 'UTC'),
  };
}
