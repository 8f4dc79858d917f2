import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react';
import type { Api } from '../api/client.js';
import type { SignedIn } from '../api/session.js';

const ApiContext = createContext<Api | undefined>(undefined);

/** Gives every screen the one API client and session the app made at start. */
export function ApiProvider({ api, children }: { api: Api; children: ReactNode }) {
  return <ApiContext.Provider value={api}>{children}</ApiContext.Provider>;
}

/** The API client and session. */
export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside ApiProvider');
  return api;
}

/** Who is signed in, re-rendering when that changes. */
export function useSignedIn(): SignedIn | undefined {
  const { session } = useApi();
  return useSyncExternalStore(
    (listener) => session.subscribe(listener),
    () => session.user,
  );
}
