import { useNavigate, useParams } from '@tanstack/react-router';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { problemOf } from '../api/problem.js';
import type { Tokens } from '../api/session.js';
import { useApi } from '../app/api-context.js';

/**
 * Where an OpenID Connect provider sends the person back, when the provider's `redirectUri` is
 * this page (`/signin/oidc/<name>`). The page hands the code and state to the gateway's callback,
 * which answers with tokens like a password sign-in, so they never appear in a URL or storage.
 */
export function OidcCallbackScreen() {
  const { t } = useTranslation();
  const { provider } = useParams({ from: '/signin/oidc/$provider' });
  const { session } = useApi();
  const navigate = useNavigate();
  // Why the sign-in failed: an address taken by an account with a password (409) has its own advice.
  const [failed, setFailed] = useState<'conflict' | 'other' | undefined>();
  const started = useRef(false);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    const query = window.location.search;
    void (async () => {
      const response = await fetch(`/api/v1/auth/oidc/${encodeURIComponent(provider)}/callback${query}`);
      const body: unknown = await response.json().catch(() => undefined);
      if (!response.ok) {
        console.warn(problemOf(response.status, body).message);
        setFailed(response.status === 409 ? 'conflict' : 'other');
        return;
      }
      session.signIn(body as Tokens);
      await navigate({ to: '/', replace: true });
    })();
  }, [provider, session, navigate]);

  return (
    <section className="auth">
      <h1>{failed ? t('auth.oidcFailed') : t('auth.oidcFinishing')}</h1>
      {failed === 'conflict' && <p role="alert">{t('auth.oidcConflict')}</p>}
      {failed && (
        <a className="button button-primary" href="/signin">
          {t('auth.toSignIn')}
        </a>
      )}
    </section>
  );
}
