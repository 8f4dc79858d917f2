import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './schema.gen.js';
import { problemOf } from './problem.js';
import { Session, type Tokens } from './session.js';

/** The typed API client of the web app: paths, parameters and bodies checked against `/openapi.json`. */
export type ApiClient = Client<paths>;

/** The session and the client that carries its token, made once when the app starts. */
export interface Api {
  session: Session;
  client: ApiClient;
  /** `fetch` with the session's token and the silent refresh, for calls the typed client cannot make (SSE). */
  authorizedFetch: (request: Request) => Promise<Response>;
}

/**
 * Creates the session and the API client. Every call carries the access token; a 401 triggers one
 * silent refresh and one retry, so an expired token never reaches the person as an error.
 */
export function createApi(options: { baseUrl?: string; fetch?: typeof fetch } = {}): Api {
  const baseUrl = options.baseUrl ?? globalThis.location.origin;
  const send = options.fetch ?? ((input: Request) => globalThis.fetch(input));

  const session = new Session({
    refresh: async (refreshToken) => {
      const response = await send(
        new Request(`${baseUrl}/api/v1/auth/refresh`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refreshToken }),
        }),
      );
      const body: unknown = await response.json().catch(() => undefined);
      if (!response.ok) throw problemOf(response.status, body);
      return body as Tokens;
    },
  });

  const authorizedFetch = async (request: Request): Promise<Response> => {
    const retry = request.clone();
    const token = session.accessToken;
    if (token !== undefined && !request.headers.has('authorization'))
      request.headers.set('authorization', `Bearer ${token}`);
    const response = await send(request);
    if (response.status !== 401 || token === undefined || request.url.endsWith('/auth/refresh')) return response;
    const fresh = await session.refresh();
    if (fresh === undefined) return response;
    retry.headers.set('authorization', `Bearer ${fresh}`);
    return send(retry);
  };

  const client = createClient<paths>({ baseUrl, fetch: authorizedFetch });
  return { session, client, authorizedFetch };
}
