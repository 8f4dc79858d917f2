import { setTimeout as sleep } from 'node:timers/promises';
import { registerAccount } from '../../e2e/real-cluster.js';

/** What one load request did, kept for the verdict after its fault. */
export interface Sent {
  /** The mix's operation. */
  op: 'steps' | 'urgent' | 'dose' | 'chat' | 'profile' | 'register';
  started: number;
  done: number;
  /** HTTP status, or 0 when no answer came (connection refused or reset, timeout). */
  status: number;
  /** For a write: the id the server acknowledged (201). */
  id?: string;
  /** For a write: the key that makes it unique among every write of the run (see `writeKey`). */
  key?: string;
}

/** A person of the load, registered before any fault, with a conversation and an as-needed medication. */
export interface Person {
  index: number;
  id: string;
  headers: Record<string, string>;
  conversationId: string;
  medicationId: string;
  /** Requests this person has sent; values derived from it are unique to each request. */
  seq: number;
}

/**
 * The identity of a write as stored, so a write stored twice is found whatever ids it got:
 * `vital|person|kind|value|systolic|diastolic` or `dose|medication|epoch ms`.
 */
export function vitalKey(
  person: string,
  kind: string,
  value: number | null,
  systolic: number | null,
  diastolic: number | null,
) {
  return `vital|${person}|${kind}|${value ?? ''}|${systolic ?? ''}|${diastolic ?? ''}`;
}

/** @see vitalKey */
export function doseKey(medication: string, at: number) {
  return `dose|${medication}|${at}`;
}

/**
 * A hypertensive crisis no other request of the person sends: systolic 180–300 and diastolic
 * 121–200 (the recordable ranges), 9,680 distinct pairs, each an urgent alert.
 */
export function crisisOf(n: number): { systolic: number; diastolic: number } {
  return { systolic: 180 + (n % 121), diastolic: 121 + (Math.floor(n / 121) % 80) };
}

/** Dose times count up from here by a millisecond per request: unique, and in the past. */
const doseEpoch = Date.now() - 6 * 3600_000;

type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

const send: Fetch = (url, init = {}) => fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });

/** Registers `name` through `base`; returns the person's id and bearer headers. */
export async function register(base: string, name: string): Promise<{ id: string; headers: Record<string, string> }> {
  const { accessToken, userId } = await registerAccount(base, name, send);
  return { id: userId, headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' } };
}

/** A person ready for the load, before any fault: registered, a conversation, a medication. */
export async function newPerson(index: number, base: string): Promise<Person> {
  // Setup, not measured: a sign-up that times out on a busy machine is tried again.
  let account: Awaited<ReturnType<typeof register>> | undefined;
  for (let attempt = 1; !account; attempt++) {
    account = await register(base, `chaos-${index}`).catch((error: unknown) => {
      if (attempt >= 10) throw error;
      return undefined;
    });
  }
  const { id, headers } = account;
  const post = async (path: string, body: unknown) => {
    const response = await send(`${base}/api/v1${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    if (response.status !== 201) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as { id: string };
  };
  const conversation = await post('/conversations', {});
  const medication = await post('/medications', {
    name: 'Ibuprofen',
    dose: 200,
    unit: 'mg',
    schedule: { asNeeded: true },
  });
  return { index, id, headers, conversationId: conversation.id, medicationId: medication.id, seq: 0 };
}

/**
 * One person's steady loop through `base` until `stop`: the mix of writes and reads, in
 * turn a steps reading, a hypertensive-crisis reading (an alert through Kafka), a dose taken, a
 * chat turn and a profile read. Every write carries values no other request sends.
 */
export async function personLoad(who: Person, base: string, stop: AbortSignal, sent: Sent[]): Promise<void> {
  while (!stop.aborted) {
    who.seq += 1;
    const n = who.seq;
    const entry: Sent = { op: 'steps', started: Date.now(), done: 0, status: 0 };
    let path: string;
    let body: unknown;
    switch (n % 5) {
      case 0: {
        // Within the recordable 0–200,000 steps: 40,000 a person.
        const value = who.index * 40_000 + n;
        Object.assign(entry, { op: 'steps', key: vitalKey(who.id, 'steps', value, null, null) });
        [path, body] = ['/vitals', { kind: 'steps', value }];
        break;
      }
      case 1: {
        const { systolic, diastolic } = crisisOf(Math.floor(n / 5));
        Object.assign(entry, { op: 'urgent', key: vitalKey(who.id, 'blood_pressure', null, systolic, diastolic) });
        [path, body] = ['/vitals', { kind: 'blood_pressure', systolic, diastolic }];
        break;
      }
      case 2: {
        const at = doseEpoch + n;
        Object.assign(entry, { op: 'dose', key: doseKey(who.medicationId, at) });
        [path, body] = [`/medications/${who.medicationId}/doses`, { status: 'taken', at: new Date(at).toISOString() }];
        break;
      }
      case 3:
        entry.op = 'chat';
        [path, body] = [`/conversations/${who.conversationId}/messages`, { text: 'how many steps this week?' }];
        break;
      default:
        entry.op = 'profile';
        [path, body] = ['/me', undefined];
    }
    entry.started = Date.now();
    try {
      const response = await send(`${base}/api/v1${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: who.headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      entry.status = response.status;
      const text = await response.text();
      if (entry.key && response.status === 201) entry.id = (JSON.parse(text) as { id: string }).id;
    } catch {
      entry.status = 0;
    }
    entry.done = Date.now();
    sent.push(entry);
  }
}

/**
 * New accounts until `stop`, one every 3 s at most: sign-ups under the fault. Each costs a
 * deliberately slow password hash (about 2 s of a core here), so more would starve the rest.
 */
export async function registrationLoad(base: string, stop: AbortSignal, sent: Sent[]): Promise<void> {
  let n = 0;
  while (!stop.aborted) {
    await sleep(3_000, undefined, { signal: stop }).catch(() => undefined);
    if (stop.aborted) break;
    n += 1;
    const entry: Sent = { op: 'register', started: Date.now(), done: 0, status: 0 };
    try {
      const { id } = await register(base, `chaos-signup-${n}`);
      Object.assign(entry, { status: 201, id });
    } catch (error) {
      entry.status = Number(/^register: (\d+)/.exec((error as Error).message)?.[1] ?? 0);
    }
    entry.done = Date.now();
    sent.push(entry);
  }
}
