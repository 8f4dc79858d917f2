import type { QueryClient } from '@tanstack/react-query';
import {
  createRootRouteWithContext,
  createRoute,
  createRouter,
  lazyRouteComponent,
  Outlet,
  redirect,
} from '@tanstack/react-router';
import type { Api } from '../api/client.js';
import { SignInScreen } from '../screens/sign-in.js';
import { Layout } from './layout.js';
import { ScreenError } from './screen-error.js';

/** What every route can reach: the API and the query cache. */
export interface RouterContext {
  api: Api;
  queryClient: QueryClient;
}

const root = createRootRouteWithContext<RouterContext>()({ component: Layout, errorComponent: ScreenError });

const signIn = createRoute({
  getParentRoute: () => root,
  path: '/signin',
  validateSearch: (search: Record<string, unknown>): { next?: string; mode?: 'signup' } => ({
    ...(typeof search.next === 'string' && search.next.startsWith('/') && { next: search.next }),
    ...(search.mode === 'signup' && { mode: 'signup' as const }),
  }),
  component: SignInScreen,
});

const oidcCallback = createRoute({
  getParentRoute: () => root,
  path: '/signin/oidc/$provider',
  component: lazyRouteComponent(() => import('../screens/oidc-callback.js'), 'OidcCallbackScreen'),
});

// Screens load when first opened, so the sign-in page stays small. Every screen below needs a signed-in person; without one the router sends them to sign in and
// back here afterwards.
const signedIn = createRoute({
  getParentRoute: () => root,
  id: 'signed-in',
  beforeLoad: ({ context, location }) => {
    // TanStack Router's way to redirect is to throw its redirect object.
    // eslint-disable-next-line @typescript-eslint/only-throw-error
    if (!context.api.session.user) throw redirect({ to: '/signin', search: { next: location.href } });
  },
  component: Outlet,
});

const today = createRoute({
  getParentRoute: () => signedIn,
  path: '/',
  component: lazyRouteComponent(() => import('../screens/today.js'), 'TodayScreen'),
});
const talk = createRoute({
  getParentRoute: () => signedIn,
  path: '/talk',
  component: lazyRouteComponent(() => import('../screens/talk.js'), 'TalkScreen'),
});
const vitals = createRoute({
  getParentRoute: () => signedIn,
  path: '/vitals',
  validateSearch: (search: Record<string, unknown>): { kind?: string } =>
    typeof search.kind === 'string' ? { kind: search.kind } : {},
  component: lazyRouteComponent(() => import('../screens/vitals.js'), 'VitalsScreen'),
});
const medications = createRoute({
  getParentRoute: () => signedIn,
  path: '/medications',
  component: lazyRouteComponent(() => import('../screens/medications.js'), 'MedicationsScreen'),
});
const caregivers = createRoute({
  getParentRoute: () => signedIn,
  path: '/caregivers',
  component: lazyRouteComponent(() => import('../screens/caregivers.js'), 'CaregiversScreen'),
});
const patient = createRoute({
  getParentRoute: () => signedIn,
  path: '/patients/$patientId',
  component: lazyRouteComponent(() => import('../screens/patient.js'), 'PatientScreen'),
});
const notifications = createRoute({
  getParentRoute: () => signedIn,
  path: '/notifications',
  component: lazyRouteComponent(() => import('../screens/notifications.js'), 'NotificationsScreen'),
});
const settings = createRoute({
  getParentRoute: () => signedIn,
  path: '/settings',
  component: lazyRouteComponent(() => import('../screens/settings.js'), 'SettingsScreen'),
});

const routeTree = root.addChildren([
  signIn,
  oidcCallback,
  signedIn.addChildren([today, talk, vitals, medications, caregivers, patient, notifications, settings]),
]);

/** The app's router: code-defined routes, the API in its context. */
export function createAppRouter(context: RouterContext) {
  return createRouter({ routeTree, context, defaultPreload: false });
}

declare module '@tanstack/react-router' {
  interface Register {
    router: ReturnType<typeof createAppRouter>;
  }
}
