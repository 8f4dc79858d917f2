import { useQueryClient } from '@tanstack/react-query';
import { Link, Outlet, useNavigate, useRouter } from '@tanstack/react-router';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { useUnreadCount } from '../api/notification-queries.js';
import { Button } from '../components/ui.js';
import { useApi, useSignedIn } from './api-context.js';

/**
 * The frame of every screen: a skip link, the app's name, the main navigation (a list of real
 * links, reachable with Tab), who is signed in and the sign-out button. The main region takes the
 * focus after each navigation, so a screen reader announces the new screen.
 */
export function Layout() {
  const { t } = useTranslation();
  const user = useSignedIn();
  const { session, client } = useApi();
  const queries = useQueryClient();
  const router = useRouter();
  const navigate = useNavigate();
  const main = useRef<HTMLElement>(null);
  const pathname = router.state.location.pathname;

  useEffect(() => {
    main.current?.focus({ preventScroll: true });
  }, [pathname]);

  // A session that ends on its own (refresh refused) leaves the protected screens.
  useEffect(
    () =>
      session.subscribe(() => {
        if (session.user) return;
        queries.clear();
        void router.invalidate();
      }),
    [session, queries, router],
  );

  const signOut = async () => {
    // The API ends the session of the token the call carries: its refresh token stops working too.
    await client.POST('/api/v1/auth/logout').catch(() => undefined);
    session.signOut();
    queries.clear();
    await navigate({ to: '/signin' });
  };

  return (
    <>
      <a className="skip-link" href="#main">
        {t('app.skipToContent')}
      </a>
      <header className="top">
        <Link to="/" className="brand">
          <span aria-hidden="true">♥</span> {t('app.name')}
        </Link>
        {user && (
          <nav aria-label={t('nav.label')} className="nav">
            <ul>
              <li>
                <Link to="/" activeOptions={{ exact: true }}>
                  {t('nav.today')}
                </Link>
              </li>
              <li>
                <Link to="/talk">{t('nav.talk')}</Link>
              </li>
              <li>
                <Link to="/vitals">{t('nav.vitals')}</Link>
              </li>
              <li>
                <Link to="/medications">{t('nav.medications')}</Link>
              </li>
              <li>
                <Link to="/caregivers">{t('nav.caregivers')}</Link>
              </li>
              <li>
                <Link to="/notifications">
                  {t('nav.notifications')}
                  <UnreadBadge />
                </Link>
              </li>
              <li>
                <Link to="/settings">{t('nav.settings')}</Link>
              </li>
            </ul>
          </nav>
        )}
        {user && (
          <div className="who">
            <span className="muted">{t('nav.signedInAs', { name: user.displayName })}</span>
            <Button variant="secondary" onPress={() => void signOut()}>
              {t('nav.signOut')}
            </Button>
          </div>
        )}
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}

/** How many notifications are unread, beside the navigation's link; nothing when none are. */
function UnreadBadge() {
  const { t } = useTranslation();
  const user = useSignedIn();
  const unread = useUnreadCount(user !== undefined);
  if (!unread.data) return null;
  return (
    <span className="badge badge-count" aria-label={t('inbox.unread', { count: unread.data })}>
      {unread.data}
    </span>
  );
}
