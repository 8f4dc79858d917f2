import { describe, expect, it } from 'vitest';
import { parseLsn } from './lsn.js';
import { type ReplicaState, WalHistory, inRotation, selectReplica } from './replica-selection.js';

const replica = (overrides: Partial<ReplicaState> = {}): ReplicaState => ({
  healthy: true,
  replayLsn: parseLsn('0/5000000'),
  lagMs: 0,
  ...overrides,
});

const choose = (replicas: ReplicaState[], requiredLsn?: string, turn = 0) =>
  selectReplica(replicas, { requiredLsn: requiredLsn ? parseLsn(requiredLsn) : undefined, maxLagMs: 1000, turn });

describe('selectReplica', () => {
  it('uses the primary when no replica is configured', () => {
    expect(choose([])).toBeUndefined();
  });

  it('sends a read without a key to a healthy replica within the lag bound', () => {
    expect(choose([replica()])).toBe(0);
  });

  it('takes turns among eligible replicas', () => {
    const replicas = [replica(), replica(), replica()];
    expect([0, 1, 2, 3, 4, 5].map((turn) => choose(replicas, undefined, turn))).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it('skips a replica that is down', () => {
    const replicas = [replica({ healthy: false }), replica()];
    expect([0, 1, 2].map((turn) => choose(replicas, undefined, turn))).toEqual([1, 1, 1]);
  });

  it('skips a replica that lags beyond the bound, or whose lag is unknown', () => {
    expect(choose([replica({ lagMs: 1001 })])).toBeUndefined();
    expect(choose([replica({ lagMs: 1000 })])).toBe(0);
    expect(choose([replica({ lagMs: undefined })])).toBeUndefined();
  });

  it("sends a key's read only to a replica that has replayed the key's last write", () => {
    const replicas = [replica({ replayLsn: parseLsn('0/4FFFFFF') }), replica({ replayLsn: parseLsn('0/5000000') })];
    expect([0, 1, 2].map((turn) => choose(replicas, '0/5000000', turn))).toEqual([1, 1, 1]);
  });

  it("uses the primary when no replica has the key's write yet", () => {
    expect(choose([replica({ replayLsn: parseLsn('0/4FFFFFF') })], '0/5000000')).toBeUndefined();
    expect(choose([replica({ replayLsn: undefined })], '0/1')).toBeUndefined();
  });

  it('compares positions as 64-bit numbers', () => {
    expect(choose([replica({ replayLsn: parseLsn('1/0') })], '0/FFFFFFFF')).toBe(0);
    expect(choose([replica({ replayLsn: parseLsn('0/FFFFFFFF') })], '1/0')).toBeUndefined();
  });

  it('never picks a down replica even if it has the write', () => {
    expect(choose([replica({ healthy: false, replayLsn: parseLsn('F/0') })], '0/1')).toBeUndefined();
  });

  it('reports rotation as healthy and within the bound', () => {
    expect(inRotation(replica(), 1000)).toBe(true);
    expect(inRotation(replica({ healthy: false }), 1000)).toBe(false);
    expect(inRotation(replica({ lagMs: 2000 }), 1000)).toBe(false);
  });
});

describe('WalHistory', () => {
  it('knows no lag before the primary was seen', () => {
    expect(new WalHistory(5000).lagMs(parseLsn('0/1'), 0)).toBeUndefined();
  });

  it('reports no lag for a replica that has what the primary last had', () => {
    const history = new WalHistory(5000);
    history.record(parseLsn('0/100'), 0);
    history.record(parseLsn('0/200'), 100);
    expect(history.lagMs(parseLsn('0/200'), 150)).toBe(0);
    expect(history.lagMs(parseLsn('0/300'), 150)).toBe(0);
  });

  it('measures lag from when the primary first went past the replica', () => {
    const history = new WalHistory(5000);
    history.record(parseLsn('0/100'), 0);
    history.record(parseLsn('0/200'), 100);
    history.record(parseLsn('0/300'), 200);
    expect(history.lagMs(parseLsn('0/100'), 250)).toBe(150);
    expect(history.lagMs(parseLsn('0/250'), 250)).toBe(50);
  });

  it('sees a replica fall behind an idle-looking primary (it keeps its first-seen time)', () => {
    const history = new WalHistory(5000);
    history.record(parseLsn('0/200'), 0);
    // The primary stays at 0/200; a replica stuck at 0/100 falls further behind as time passes.
    for (let t = 100; t <= 3000; t += 100) history.record(parseLsn('0/200'), t);
    expect(history.lagMs(parseLsn('0/100'), 3000)).toBe(3000);
  });

  it('keeps bounded history and still reports a long lag', () => {
    const history = new WalHistory(1000);
    for (let t = 0; t <= 10_000; t += 100) history.record(BigInt(t + 1), t);
    expect(history.lagMs(0n, 10_000)).toBeGreaterThanOrEqual(1000);
  });
});
