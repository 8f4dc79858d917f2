/** One thing a process needs before it can take traffic, e.g. its database. */
export interface ReadinessCheck {
  name: string;
  /** Resolves true when ready; false or a throw means not ready. Should answer within ~1 s. */
  check(): Promise<boolean>;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, boolean>;
}

/**
 * What `/readyz` answers. A process is ready when it has started, is not shutting down, and
 * every registered check passes. Callers that ask while a check runs share its answer (the
 * gRPC servers of an all-in-one process probe at the same moments and ask for the same
 * database), so a check runs once per moment however many ask; nobody gets an older answer.
 */
export class Readiness {
  readonly #checks: ReadinessCheck[] = [];
  readonly #running = new Map<ReadinessCheck, Promise<boolean>>();
  #accepting = false;

  add(check: ReadinessCheck): void {
    this.#checks.push(check);
  }

  /** Called once everything started; from then on the checks decide. */
  markStarted(): void {
    this.#accepting = true;
  }

  /** Called first on shutdown, so load balancers stop sending traffic. */
  markStopping(): void {
    this.#accepting = false;
  }

  async report(timeoutMs = 2000): Promise<ReadinessReport> {
    const results = await Promise.all(this.#checks.map(async (c) => [c.name, await this.#run(c, timeoutMs)] as const));
    const checks = Object.fromEntries(results);
    return { ready: this.#accepting && results.every(([, ok]) => ok), checks };
  }

  /**
   * Whether one part of the process can take traffic: started, not stopping, and the named
   * checks pass (a gRPC service asks for its database and its own checks, not the others').
   * A name nobody registered counts as not ready, so a typo cannot report ready.
   */
  async ready(names: readonly string[], timeoutMs = 1000): Promise<boolean> {
    if (!this.#accepting) return false;
    const results = await Promise.all(
      names.map((name) => {
        const check = this.#checks.find((c) => c.name === name);
        return check ? this.#run(check, timeoutMs) : Promise.resolve(false);
      }),
    );
    return this.#accepting && results.every(Boolean);
  }

  /** The check's answer, shared with whoever asked while it runs; false past `timeoutMs`. */
  async #run(check: ReadinessCheck, timeoutMs: number): Promise<boolean> {
    let answer = this.#running.get(check);
    if (!answer) {
      answer = check
        .check()
        .catch(() => false)
        .finally(() => this.#running.delete(check));
      this.#running.set(check, answer);
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => {
        // A check that hangs is not shared past a timeout: whoever asks next starts a fresh one.
        if (this.#running.get(check) === answer) this.#running.delete(check);
        resolve(false);
      }, timeoutMs);
    });
    const ok = await Promise.race([answer, timedOut]);
    clearTimeout(timer);
    return ok;
  }
}
