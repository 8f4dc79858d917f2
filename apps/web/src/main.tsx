import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { RouterProvider } from '@tanstack/react-router';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { I18nextProvider } from 'react-i18next';
import { createApi } from './api/client.js';
import { ApiProblem } from './api/problem.js';
import { ApiProvider } from './app/api-context.js';
import { applyDisplayPrefs, loadDisplayPrefs } from './app/display-prefs.js';
import { createAppRouter } from './app/router.js';
import { createI18n } from './i18n/index.js';
import './styles.css';

applyDisplayPrefs(loadDisplayPrefs(), false);

const api = createApi();
const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 30_000,
      // A refusal (4xx) will not change by asking again; a dropped connection might.
      retry: (count, error) => count < 2 && !(error instanceof ApiProblem && error.status < 500),
    },
  },
});
const router = createAppRouter({ api, queryClient });
const i18n = await createI18n();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <I18nextProvider i18n={i18n}>
      <ApiProvider api={api}>
        <QueryClientProvider client={queryClient}>
          <RouterProvider router={router} />
        </QueryClientProvider>
      </ApiProvider>
    </I18nextProvider>
  </StrictMode>,
);

// Installable and usable offline for what was already opened (see public/sw.js).
if ('serviceWorker' in navigator && import.meta.env.PROD) {
  void navigator.serviceWorker.register('/sw.js').catch(() => undefined);
}
