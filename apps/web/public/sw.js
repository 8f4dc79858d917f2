/* global self, caches */
// Tend's service worker: the app opens without a network once it has been opened with one.
// Hashed files under /assets/ never change, so they are served from the cache first; the page
// itself is fetched fresh when the network answers (a new release shows at once) and taken from
// the cache when it does not. API answers are not stored here: health data stays out of disk
// caches on shared computers, and the app keeps what it loaded in memory.
const cacheName = 'tend-app-v1';

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(cacheName)
      .then((cache) => cache.addAll(['/', '/manifest.webmanifest', '/icon.svg']))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name !== cacheName).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/assets/')) {
    event.respondWith(
      caches.match(request).then(
        (hit) =>
          hit ??
          fetch(request).then((response) => {
            if (response.ok) {
              const copy = response.clone();
              void caches.open(cacheName).then((cache) => cache.put(request, copy));
            }
            return response;
          }),
      ),
    );
    return;
  }
  if (request.mode === 'navigate') {
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok) {
            const copy = response.clone();
            void caches.open(cacheName).then((cache) => cache.put('/', copy));
          }
          return response;
        })
        .catch(() => caches.match('/').then((hit) => hit ?? Response.error())),
    );
  }
});

// A push message from the notification service: { id, kind, title, body, data, actions }, each
// action with a signed single-use token. Its buttons answer the reminder without opening the app.
self.addEventListener('push', (event) => {
  let message;
  try {
    message = event.data ? event.data.json() : undefined;
  } catch {
    message = undefined;
  }
  if (!message || typeof message.title !== 'string') return;
  const actions = Array.isArray(message.actions) ? message.actions : [];
  event.waitUntil(
    self.registration.showNotification(message.title, {
      body: message.body,
      tag: message.id,
      icon: '/icon.svg',
      data: { tokens: Object.fromEntries(actions.map((a) => [a.action, a.token])) },
      actions: actions.map((a) => ({ action: a.action, title: a.title })),
      requireInteraction: message.kind === 'emergency',
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const token = event.action ? event.notification.data?.tokens?.[event.action] : undefined;
  if (token) {
    event.waitUntil(
      fetch('/api/v1/actions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token }),
      }).catch(() => undefined),
    );
    return;
  }
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => new URL(w.url).origin === self.location.origin);
      if (open) return open.navigate('/notifications').then((w) => w?.focus());
      return self.clients.openWindow('/notifications');
    }),
  );
});
