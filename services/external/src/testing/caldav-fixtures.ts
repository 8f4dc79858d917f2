import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The CalDAV server `scripts/infra.sh up radicale` started, from `infra.sh env`. */
export interface CalDavServer {
  url: string;
  username: string;
  password: string;
}

/** The infra's CalDAV server, if the environment names one. */
export function calDavServerOf(env: NodeJS.ProcessEnv = process.env): CalDavServer | undefined {
  if (!env.TEST_CALDAV_URL) return undefined;
  return { url: env.TEST_CALDAV_URL, username: env.TEST_CALDAV_USER ?? '', password: env.TEST_CALDAV_PASSWORD ?? '' };
}

/**
 * A fresh, empty calendar collection on the server (MKCALENDAR under the user's home), so a
 * suite sees only its own events. Reads and writes through plain HTTP, independent of the code
 * under test.
 */
export class TestCalendar {
  private constructor(
    readonly server: CalDavServer,
    readonly url: string,
  ) {}

  static async create(server: CalDavServer): Promise<TestCalendar> {
    const url = new URL(`${server.username}/${randomUUID()}/`, server.url).href;
    const calendar = new TestCalendar(server, url);
    const response = await calendar.#fetch(url, { method: 'MKCALENDAR' });
    if (response.status !== 201) throw new Error(`MKCALENDAR ${url} answered ${response.status}`);
    return calendar;
  }

  /** Writes an object; returns its ETag. */
  async put(name: string, ics: string): Promise<string> {
    const response = await this.#fetch(new URL(name, this.url).href, {
      method: 'PUT',
      headers: { 'content-type': 'text/calendar; charset=utf-8' },
      body: ics,
    });
    if (!response.ok) throw new Error(`PUT ${name} answered ${response.status}`);
    return response.headers.get('etag') ?? '';
  }

  async remove(name: string): Promise<void> {
    const response = await this.#fetch(new URL(name, this.url).href, { method: 'DELETE' });
    if (!response.ok) throw new Error(`DELETE ${name} answered ${response.status}`);
  }

  /** Every object's name and text, from one calendar-query REPORT. */
  async objects(): Promise<Map<string, string>> {
    const response = await this.#fetch(this.url, {
      method: 'REPORT',
      headers: { depth: '1', 'content-type': 'application/xml; charset=utf-8' },
      body:
        '<?xml version="1.0" encoding="utf-8"?><c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">' +
        '<d:prop><c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR"/></c:filter></c:calendar-query>',
    });
    const xml = await response.text();
    const objects = new Map<string, string>();
    for (const match of xml.matchAll(/<href>([^<]+)<\/href>[\s\S]*?<C:calendar-data>([\s\S]*?)<\/C:calendar-data>/g)) {
      const name = decodeURIComponent(match[1]!.split('/').at(-1)!);
      objects.set(name, match[2]!.replace(/&#13;/g, '\r').replace(/&amp;/g, '&').replace(/&lt;/g, '<'));
    }
    return objects;
  }

  #fetch(url: string, init: RequestInit): Promise<Response> {
    const auth = Buffer.from(`${this.server.username}:${this.server.password}`).toString('base64');
    return fetch(url, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), authorization: `Basic ${auth}` },
    });
  }
}

/** A one-event calendar object, as a phone's calendar app would write it. */
export function eventObject(event: {
  uid: string;
  summary: string;
  start: string;
  end: string;
  tzid?: string;
}): string {
  const time = (value: string) => (event.tzid ? `;TZID=${event.tzid}:${value}` : `:${value}`);
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Example//Phone//EN',
    'BEGIN:VEVENT',
    `UID:${event.uid}`,
    'DTSTAMP:20260601T000000Z',
    `DTSTART${time(event.start)}`,
    `DTEND${time(event.end)}`,
    `SUMMARY:${event.summary}`,
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}

/**
 * A server that passes CalDAV discovery (OPTIONS with calendar-access, a calendar collection on
 * PROPFIND) and then answers every REPORT with `body`: a calendar server gone wrong.
 */
export async function startGarbageCalDav(body: string): Promise<{ url: string; stop(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    if (request.method === 'OPTIONS') {
      response.writeHead(200, { dav: '1, 2, calendar-access' }).end();
    } else if (request.method === 'PROPFIND') {
      response
        .writeHead(207, { 'content-type': 'application/xml; charset=utf-8' })
        .end(
          `<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:response>` +
            `<d:href>${request.url}</d:href><d:propstat><d:prop><d:resourcetype><d:collection/><c:calendar/></d:resourcetype>` +
            `</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>`,
        );
    } else {
      response.writeHead(207, { 'content-type': 'application/xml; charset=utf-8' }).end(body);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/cal/`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A loopback proxy to a CalDAV server that can hold requests until told to let them through. */
export interface GatedCalDavProxy {
  /** The proxy's origin; a path under it is the same path on the server. */
  origin: string;
  /** From now on, requests wait; resolves when the first one is waiting. */
  hold(): Promise<void>;
  /** Lets every waiting request (and later ones) through. */
  release(): void;
  stop(): Promise<void>;
}

/**
 * Forwards every request to `upstream` as it came (method, headers, body), so the code under
 * test speaks real CalDAV to the real server, but lets a test stop a sync in the middle of its
 * conversation with the server, to see what a second instance does meanwhile.
 */
export async function startGatedCalDavProxy(upstream: string): Promise<GatedCalDavProxy> {
  const target = new URL(upstream);
  let gate: Promise<void> | undefined;
  let open: () => void = () => {};
  let waiting: () => void = () => {};
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        if (gate) {
          waiting();
          await gate;
        }
        const headers = Object.fromEntries(
          Object.entries(request.headers).flatMap(([k, v]) =>
            k === 'host' || v === undefined ? [] : [[k, String(v)]],
          ),
        );
        const answer = await fetch(new URL(request.url ?? '/', target.origin), {
          method: request.method,
          headers,
          body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
        });
        const body = Buffer.from(await answer.arrayBuffer());
        const out: Record<string, string> = {};
        answer.headers.forEach((value, key) => {
          if (key !== 'content-encoding' && key !== 'transfer-encoding' && key !== 'content-length') out[key] = value;
        });
        response.writeHead(answer.status, out).end(body);
      })().catch((error: unknown) => response.writeHead(502).end(String(error)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    hold() {
      gate = new Promise<void>((resolve) => (open = resolve));
      return new Promise<void>((resolve) => (waiting = resolve));
    },
    release() {
      gate = undefined;
      open();
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
