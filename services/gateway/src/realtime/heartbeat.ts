import type { WebSocket } from 'ws';

/**
 * Pings every open socket once per `periodMs` and terminates one that has not answered the
 * previous ping, so dead peers (a laptop lid closed, a NAT that forgot the flow) are dropped.
 *
 * One timer for all sockets rather than one per socket: at 100,000 sockets a timer each is
 * 100,000 timer objects and closures. The sockets are spread over `slices` groups and one group is
 * swept per tick, so each socket is still pinged once a period, and a period's pings are spread
 * across it instead of arriving as one burst that holds the event loop.
 */
export class Heartbeat {
  readonly #slices: Set<WebSocket>[];
  readonly #alive = new WeakMap<WebSocket, boolean>();
  readonly #tickMs: number;
  #next = 0;
  #assign = 0;
  #timer: NodeJS.Timeout | undefined;

  /** @param periodMs how often each socket is pinged. @param slices groups swept in turn. */
  constructor(
    periodMs: number,
    slices = 30,
    private readonly setTimer: (tick: () => void, ms: number) => NodeJS.Timeout = (tick, ms) =>
      setInterval(tick, ms).unref(),
  ) {
    this.#slices = Array.from({ length: slices }, () => new Set<WebSocket>());
    this.#tickMs = periodMs / slices;
  }

  /** Watches `socket` until it closes. */
  track(socket: WebSocket): void {
    const slice = this.#slices[this.#assign++ % this.#slices.length]!;
    slice.add(socket);
    this.#alive.set(socket, true);
    socket.on('pong', () => this.#alive.set(socket, true));
    socket.once('close', () => slice.delete(socket));
    this.#timer ??= this.setTimer(() => this.tick(), this.#tickMs);
  }

  /** Sweeps the next group: pings the live, terminates the silent (the timer calls this; tests may too). */
  tick(): void {
    const slice = this.#slices[this.#next++ % this.#slices.length]!;
    for (const socket of slice) {
      if (!this.#alive.get(socket)) {
        slice.delete(socket);
        socket.terminate();
        continue;
      }
      this.#alive.set(socket, false);
      socket.ping();
    }
  }

  /** Stops the timer; the sockets close with the server. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Sockets watched now. */
  get size(): number {
    return this.#slices.reduce((sum, slice) => sum + slice.size, 0);
  }
}
