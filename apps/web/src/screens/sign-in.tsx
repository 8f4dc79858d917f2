import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useSearch } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { unwrap } from '../api/problem.js';
import type { Tokens } from '../api/session.js';
import { useApi } from '../app/api-context.js';
import { LanguageSwitch } from '../components/language-switch.js';
import { Button, fieldErrorsOf, FormProblem, TextInput } from '../components/ui.js';
import { languageOf } from '../i18n/index.js';
import { ApiForm } from '../components/api-form.js';

/** What the gateway tells the web app about itself (`/web-config.json`). */
interface WebConfig {
  oidcProviders: string[];
}

/**
 * Sign in and sign up on one screen: e-mail and password, plus a button per OpenID Connect
 * provider the gateway has configured. A new account takes the browser's time zone and the
 * language the page is shown in.
 */
export function SignInScreen() {
  const { t, i18n } = useTranslation();
  const { client, session } = useApi();
  const navigate = useNavigate();
  const search = useSearch({ from: '/signin' });
  const signingUp = search.mode === 'signup';
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');

  const config = useQuery({
    queryKey: ['web-config'],
    queryFn: async (): Promise<WebConfig> => {
      const response = await fetch('/web-config.json');
      return response.ok ? ((await response.json()) as WebConfig) : { oidcProviders: [] };
    },
    staleTime: Infinity,
  });

  const submit = useMutation({
    mutationFn: async (): Promise<Tokens> => {
      if (signingUp) {
        return unwrap(
          client.POST('/api/v1/auth/register', {
            body: {
              email,
              password,
              displayName,
              timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
              locale: languageOf(i18n.language),
            },
          }),
        );
      }
      return unwrap(client.POST('/api/v1/auth/login', { body: { email, password } }));
    },
    onSuccess: async (tokens) => {
      session.signIn(tokens);
      await navigate({ to: search.next ?? '/' });
    },
  });

  return (
    <section className="auth" aria-labelledby="auth-title">
      <div className="row spread">
        <h1 id="auth-title">{signingUp ? t('auth.signUpTitle') : t('auth.signInTitle')}</h1>
        <LanguageSwitch />
      </div>
      <ApiForm
        className="stack"
        errors={fieldErrorsOf(submit.error)}
        onSubmit={() => {
          submit.mutate();
        }}
      >
        <FormProblem error={submit.error} />
        {signingUp && (
          <TextInput
            name="displayName"
            label={t('auth.displayName')}
            description={t('auth.displayNameHint')}
            autoComplete="name"
            isRequired
            value={displayName}
            onChange={setDisplayName}
          />
        )}
        <TextInput
          name="email"
          type="email"
          label={t('auth.email')}
          autoComplete="email"
          inputMode="email"
          isRequired
          value={email}
          onChange={setEmail}
        />
        <TextInput
          name="password"
          type="password"
          label={t('auth.password')}
          description={signingUp ? t('auth.passwordHint') : undefined}
          autoComplete={signingUp ? 'new-password' : 'current-password'}
          isRequired
          value={password}
          onChange={setPassword}
        />
        <Button type="submit" isDisabled={submit.isPending}>
          {submit.isPending ? t('auth.signingIn') : signingUp ? t('auth.signUp') : t('auth.signIn')}
        </Button>
      </ApiForm>
      {(config.data?.oidcProviders.length ?? 0) > 0 && (
        <div className="stack">
          <p className="muted center">{t('auth.or')}</p>
          {config.data!.oidcProviders.map((provider) => (
            <a key={provider} className="button button-secondary" href={`/api/v1/auth/oidc/${provider}/login`}>
              {t('auth.withProvider', { provider: providerName(provider) })}
            </a>
          ))}
        </div>
      )}
      <p>
        {signingUp ? t('auth.haveAccount') : t('auth.noAccount')}{' '}
        <Link
          to="/signin"
          search={{ ...(search.next && { next: search.next }), ...(!signingUp && { mode: 'signup' }) }}
        >
          {signingUp ? t('auth.toSignIn') : t('auth.toSignUp')}
        </Link>
      </p>
    </section>
  );
}

function providerName(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
