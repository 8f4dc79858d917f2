import { ValidationError } from '@tend/core';
import { calendarMultiGet, calendarQuery, createAccount, fetchCalendars, propfind } from 'tsdav';

/** Where a person's calendar is and how to sign in to it. */
export interface CalDavCredentials {
  url: string;
  username: string;
  password: string;
}

/** A calendar object as the server holds it. */
export interface RemoteObject {
  /** Absolute URL of the object. */
  href: string;
  etag: string;
  ics: string;
}

/**
 * The calendar server cannot be reached, refused a request it should take, or answered something
 * that is not CalDAV. Nothing a sync planned from such an answer is written.
 */
export class CalendarServerError extends Error {
  override name = 'CalendarServerError';
}

/** A conditional write lost: the object changed (or appeared) on the server since it was read. */
export class PreconditionFailedError extends Error {
  override name = 'PreconditionFailedError';
  constructor(readonly href: string) {
    super(`${href} changed on the server`);
  }
}

/** How long one request to a calendar server may take. @default 15_000 */
const requestTimeoutMs = 15_000;

/**
 * One CalDAV calendar collection (RFC 4791), reached with tsdav for the WebDAV reports
 * (discovery, calendar-query, calendar-multiget) and plain HTTP for the conditional PUT and
 * DELETE whose ETag and status the sync needs. Every answer is checked before it is believed:
 * a server that answers garbage raises CalendarServerError.
 */
export class CalDavCalendar {
  private constructor(
    readonly url: string,
    private readonly headers: Record<string, string>,
  ) {}

  /** The calendar collection at `url` (found earlier by `discover`). */
  static at(this: void, url: string, credentials: CalDavCredentials): CalDavCalendar {
    return new CalDavCalendar(url, basicAuthHeaders(credentials));
  }

  /**
   * Finds the calendar for credentials: the URL itself when it is a calendar collection, else
   * the first calendar holding events that discovery (RFC 6764 well-known, principal, home set)
   * finds. Wrong username or password is a ValidationError naming them.
   */
  static async discover(credentials: CalDavCredentials): Promise<CalDavCalendar> {
    const headers = basicAuthHeaders(credentials);
    const url = credentials.url.endsWith('/') ? credentials.url : `${credentials.url}/`;
    await checkReachable(url, headers);
    const [self] = await guard('look at the URL', () =>
      propfind({ url, props: { 'd:resourcetype': {} }, depth: '0', headers, fetchOptions: timeout() }),
    );
    const types = JSON.stringify(self?.props?.resourcetype ?? {});
    if (/calendar/i.test(types)) return new CalDavCalendar(url, headers);
    const account = await guard('discover the calendars', () =>
      createAccount({ account: { serverUrl: url, accountType: 'caldav' }, headers, fetchOptions: timeout() }),
    );
    const calendars = await guard('list the calendars', () =>
      fetchCalendars({ account, headers, fetchOptions: timeout() }),
    );
    const calendar = calendars.find((c) => !c.components || c.components.includes('VEVENT'));
    if (!calendar) throw ValidationError.field('url', 'has no calendar for events');
    return new CalDavCalendar(new URL(calendar.url, url).href, headers);
  }

  /** Every event object's href and ETag, without their data (a cheap look for changes). */
  async etags(): Promise<Map<string, string>> {
    const responses = await guard('list the calendar', () =>
      calendarQuery({
        url: this.url,
        props: { 'd:getetag': {} },
        filters: { 'c:comp-filter': { _attributes: { name: 'VCALENDAR' } } },
        depth: '1',
        headers: this.headers,
        fetchOptions: timeout(),
      }),
    );
    const etags = new Map<string, string>();
    for (const response of responses) {
      if (!response.href) continue;
      const href = new URL(response.href, this.url).href;
      if (href === this.url) continue;
      if (response.status !== undefined && response.status >= 400) continue;
      const etag: unknown = response.props?.getetag;
      if (typeof etag !== 'string' || etag === '') {
        throw new CalendarServerError(`the calendar listed ${href} without an ETag`);
      }
      etags.set(href, etag);
    }
    return etags;
  }

  /** The objects at `hrefs`, with data; asked for in chunks so a big calendar is a few requests. */
  async objects(hrefs: readonly string[]): Promise<RemoteObject[]> {
    const objects: RemoteObject[] = [];
    for (let i = 0; i < hrefs.length; i += 200) {
      const chunk = hrefs.slice(i, i + 200).map((href) => new URL(href).pathname);
      const responses = await guard('read events', () =>
        calendarMultiGet({
          url: this.url,
          props: { 'd:getetag': {}, 'c:calendar-data': {} },
          objectUrls: chunk,
          depth: '1',
          headers: this.headers,
          fetchOptions: timeout(),
        }),
      );
      for (const response of responses) {
        if (!response.href || (response.status !== undefined && response.status >= 400)) continue;
        const etag: unknown = response.props?.getetag;
        const data: unknown = response.props?.calendarData;
        const ics = typeof data === 'string' ? data : (data as { _cdata?: string } | undefined)?._cdata;
        if (typeof etag !== 'string' || typeof ics !== 'string') {
          throw new CalendarServerError(`the calendar sent ${response.href} without an ETag or data`);
        }
        objects.push({ href: new URL(response.href, this.url).href, etag, ics });
      }
    }
    return objects;
  }

  /** Creates (`etag` undefined: only if absent) or replaces (only if still at `etag`) an object. */
  async put(href: string, ics: string, etag: string | undefined): Promise<string> {
    const response = await this.#request(href, {
      method: 'PUT',
      headers: {
        'content-type': 'text/calendar; charset=utf-8',
        ...(etag === undefined ? { 'if-none-match': '*' } : { 'if-match': etag }),
      },
      body: ics,
    });
    if (response.status === 412) throw new PreconditionFailedError(href);
    if (!response.ok) throw new CalendarServerError(`PUT ${href} answered ${response.status}`);
    const written = response.headers.get('etag');
    if (written) return written;
    // Some servers leave the ETag out of a PUT's answer (RFC 4791 §5.3.4 allows it): ask for it.
    const listed = await this.etags();
    const found = listed.get(href);
    if (!found) throw new CalendarServerError(`PUT ${href} succeeded but the object is not listed`);
    return found;
  }

  /** Deletes an object if it is still at `etag`; one already gone counts as deleted. */
  async remove(href: string, etag: string): Promise<void> {
    const response = await this.#request(href, { method: 'DELETE', headers: { 'if-match': etag } });
    if (response.status === 412) throw new PreconditionFailedError(href);
    if (!response.ok && response.status !== 404)
      throw new CalendarServerError(`DELETE ${href} answered ${response.status}`);
  }

  async #request(href: string, init: RequestInit & { headers: Record<string, string> }): Promise<Response> {
    try {
      return await fetch(href, {
        ...init,
        headers: { ...this.headers, ...init.headers },
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
    } catch (error) {
      throw new CalendarServerError(`cannot reach the calendar server: ${messageOf(error)}`, { cause: error });
    }
  }
}

/** Every WebDAV request tsdav makes has the same deadline as our own. */
function timeout(): RequestInit {
  return { signal: AbortSignal.timeout(requestTimeoutMs) };
}

/** An OPTIONS request first: it tells unreachable, refused credentials and not-CalDAV apart. */
async function checkReachable(url: string, headers: Record<string, string>): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'OPTIONS', headers, signal: AbortSignal.timeout(requestTimeoutMs) });
  } catch (error) {
    throw ValidationError.field('url', `cannot be reached: ${messageOf(error)}`);
  }
  if (response.status === 401 || response.status === 403) {
    throw new ValidationError([
      { field: 'username', message: 'or password was refused by the calendar server' },
      { field: 'password', message: 'or username was refused by the calendar server' },
    ]);
  }
  const dav = response.headers.get('dav') ?? '';
  if (!/calendar-access/i.test(dav)) {
    throw ValidationError.field('url', `is not a CalDAV server (answered ${response.status} without calendar-access)`);
  }
}

/** Runs a tsdav call; any throw or answer it could not read becomes a CalendarServerError. */
async function guard<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    const result = await call();
    if (result === undefined || result === null) throw new Error('no answer');
    return result;
  } catch (error) {
    if (error instanceof CalendarServerError || error instanceof ValidationError) throw error;
    throw new CalendarServerError(`could not ${what}: ${messageOf(error)}`, { cause: error });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * HTTP Basic credentials in UTF-8 (RFC 7617, `charset="UTF-8"`): tsdav's own helper encodes
 * Latin-1 only and throws on any other character, so a username in Chinese would fail the call
 * instead of reaching the server.
 */
export function basicAuthHeaders(credentials: Pick<CalDavCredentials, 'username' | 'password'>): {
  authorization: string;
} {
  const pair = Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64');
  return { authorization: `Basic ${pair}` };
}
