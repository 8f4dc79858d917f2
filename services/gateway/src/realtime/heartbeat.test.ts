import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { Heartbeat } from './heartbeat.js';

/** A peer that counts pings, answers them when `answers`, and records being terminated. */
class FakePeer extends EventEmitter {
  pings = 0;
  terminated = false;
  constructor(private readonly answers: boolean) {
    super();
  }
  ping(): void {
    this.pings += 1;
    if (this.answers) queueMicrotask(() => this.emit('pong'));
  }
  terminate(): void {
    this.terminated = true;
    this.emit('close');
  }
}

/** A heartbeat whose ticks the test drives: no timer runs. */
function manualHeartbeat(slices: number): Heartbeat {
  return new Heartbeat(30_000, slices, () => setInterval(() => undefined, 1 << 30).unref());
}

const asSocket = (peer: FakePeer) => peer as unknown as WebSocket;
const period = async (heartbeat: Heartbeat, slices: number) => {
  for (let i = 0; i < slices; i++) heartbeat.tick();
  await Promise.resolve();
};

describe('the heartbeat of open sockets', () => {
  it('pings every socket once a period, spread over the period’s ticks', async () => {
    const heartbeat = manualHeartbeat(3);
    const peers = Array.from({ length: 9 }, () => new FakePeer(true));
    for (const peer of peers) heartbeat.track(asSocket(peer));
    heartbeat.tick();
    expect(peers.filter((p) => p.pings === 1)).toHaveLength(3);
    await period(heartbeat, 2);
    expect(peers.every((p) => p.pings === 1)).toBe(true);
    await period(heartbeat, 3);
    expect(peers.every((p) => p.pings === 2 && !p.terminated)).toBe(true);
    heartbeat.stop();
  });

  it('terminates a peer that did not answer the previous ping, and keeps the ones that did', async () => {
    const heartbeat = manualHeartbeat(2);
    const silent = new FakePeer(false);
    const lively = new FakePeer(true);
    heartbeat.track(asSocket(silent));
    heartbeat.track(asSocket(lively));
    await period(heartbeat, 2);
    expect(silent.terminated).toBe(false);
    await period(heartbeat, 2);
    expect(silent.terminated).toBe(true);
    expect(lively.terminated).toBe(false);
    expect(heartbeat.size).toBe(1);
    heartbeat.stop();
  });

  it('forgets a socket once it closes', () => {
    const heartbeat = manualHeartbeat(2);
    const peer = new FakePeer(true);
    heartbeat.track(asSocket(peer));
    peer.emit('close');
    heartbeat.tick();
    heartbeat.tick();
    expect(peer.pings).toBe(0);
    expect(heartbeat.size).toBe(0);
    heartbeat.stop();
  });
});
