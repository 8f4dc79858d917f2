import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, type RenderResult } from '@testing-library/react';
import type { ReactNode } from 'react';
import { I18nextProvider } from 'react-i18next';
import { createApi } from '../api/client.js';
import { ApiProvider } from '../app/api-context.js';
import { createI18n, type Language } from '../i18n/index.js';

/** A request the app sent, with its JSON body read once so a test can inspect it. */
export interface SentRequest {
  method: string;
  url: URL;
  body: unknown;
}

/** Answers one request of the app, as the gateway would. */
export type Answer = (request: SentRequest) => Response | Promise<Response>;

/** A JSON response, with the content type openapi-fetch reads bodies by. */
export function json(status: number, body: unknown, contentType = 'application/json'): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': contentType } });
}

/**
 * Renders a component inside the providers the app wraps every screen in (i18n, the API client,
 * react-query), with the client's `fetch` answered by `answer` instead of the network, so a test
 * sees both what the component shows and what it sent. Queries do not retry: a refusal shows at once.
 */
export async function renderInApp(
  ui: ReactNode,
  options: { answer: Answer; language?: Language },
): Promise<RenderResult & { sent: SentRequest[] }> {
  const sent: SentRequest[] = [];
  const api = createApi({
    baseUrl: 'http://tend.test',
    fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      const text = await request.text();
      const body = text === '' ? undefined : (JSON.parse(text) as unknown);
      const entry = { method: request.method, url: new URL(request.url), body };
      sent.push(entry);
      return options.answer(entry);
    },
  });
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  const i18n = await createI18n();
  await i18n.changeLanguage(options.language ?? 'en');
  const result = render(
    <I18nextProvider i18n={i18n}>
      <ApiProvider api={api}>
        <QueryClientProvider client={queryClient}>{ui}</QueryClientProvider>
      </ApiProvider>
    </I18nextProvider>,
  );
  return Object.assign(result, { sent });
}
