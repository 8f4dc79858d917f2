import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Where `npm run build -w apps/web` puts the web app, from this file in the repository. */
export const defaultWebAppDir = fileURLToPath(new URL('../../../apps/web/dist/', import.meta.url));

/**
 * The web app's page policy: its own scripts, styles, images and API only; no inline script or
 * style element, no plugins, no framing, no foreign form targets. Styles set from script (React's
 * `style` prop, the chart) go through the CSSOM, which `style-src` does not govern.
 */
export const webAppCsp = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "worker-src 'self'",
  // The spoken reply plays from a blob: URL made from the audio the API returned.
  "media-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Paths the app never answers with its page: they belong to the API, the probes and the docs. */
const reservedPrefixes = [
  '/api/',
  '/ws',
  '/rpc/',
  '/docs',
  '/openapi.json',
  '/.well-known/',
  '/metrics',
  '/healthz',
  '/readyz',
];

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};
const compressible = new Set(['.html', '.js', '.css', '.json', '.webmanifest', '.svg', '.txt']);

/** One built file, held in memory with its compressed forms once asked for. */
interface WebFile {
  body: Buffer;
  /** Worth compressing (a text type over 1 KiB). */
  compressible: boolean;
  gzip?: Buffer;
  brotli?: Buffer;
  type: string;
  etag: string;
  /** Hashed names under `assets/` never change: browsers may keep them for a year. */
  immutable: boolean;
}

export interface WebAppOptions {
  /** The built app (`apps/web/dist`). @default defaultWebAppDir */
  dir?: string;
  /** Names of the configured OpenID Connect providers, for the sign-in buttons. */
  oidcProviders: readonly string[];
}

/**
 * Serves the built web app at `/`: hashed assets with a year's cache, `index.html` revalidated
 * every time (so a new release is picked up at once), gzip or Brotli as the browser accepts,
 * the page's strict CSP, and `index.html` for the app's own paths (`/talk`, `/vitals`, …) so a
 * reload or a shared link opens the right screen. The files are read once, at start (the whole
 * app is well under a megabyte), and each is compressed the first time a browser accepts that
 * encoding: compressing all of them at level 9 up front took seconds of a loaded machine's start.
 * Returns false, serving nothing, when the app
 * has not been built, so the gateway can keep its plain landing page.
 */
export function registerWebApp(app: FastifyInstance, options: WebAppOptions): boolean {
  const dir = options.dir ?? defaultWebAppDir;
  if (!existsSync(join(dir, 'index.html'))) return false;
  const files = loadFiles(dir);
  const index = files.get('/index.html')!;
  const webConfig = JSON.stringify({ oidcProviders: options.oidcProviders });

  app.get('/web-config.json', { schema: { hide: true } }, async (_request, reply) =>
    reply.header('cache-control', 'no-cache').type('application/json').send(webConfig),
  );
  app.get('/', { schema: { hide: true } }, async (request, reply) => send(request, reply, index));
  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    const path = decodeURIComponent(request.url.split('?')[0] ?? '/');
    const file = files.get(path);
    if (file) return send(request, reply, file);
    // An unknown file (it has an extension) or a reserved path is a 404, not the app's page.
    if (reservedPrefixes.some((prefix) => path.startsWith(prefix)) || extname(path) !== '') return reply.callNotFound();
    return send(request, reply, index);
  });
  return true;
}

function send(request: FastifyRequest, reply: FastifyReply, file: WebFile): FastifyReply {
  reply
    .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .header('etag', file.etag)
    .header('vary', 'accept-encoding')
    .type(file.type);
  // A script may be a worker's (the service worker): a worker runs under its own response's policy,
  // and the API's `default-src 'none'` would refuse every fetch it makes, its install included.
  if (file.type.startsWith('text/html') || file.type.startsWith('text/javascript'))
    reply.header('content-security-policy', webAppCsp);
  if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
  const accepted = String(request.headers['accept-encoding'] ?? '');
  if (file.compressible && /\bbr\b/.test(accepted)) {
    file.brotli ??= brotliCompressSync(file.body, {
      params: { [zlib.BROTLI_PARAM_QUALITY]: 9, [zlib.BROTLI_PARAM_SIZE_HINT]: file.body.length },
    });
    return reply.header('content-encoding', 'br').send(file.brotli);
  }
  if (file.compressible && /\bgzip\b/.test(accepted)) {
    file.gzip ??= gzipSync(file.body, { level: 9 });
    return reply.header('content-encoding', 'gzip').send(file.gzip);
  }
  return reply.send(file.body);
}

function loadFiles(dir: string): Map<string, WebFile> {
  const files = new Map<string, WebFile>();
  const walk = (folder: string): void => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      const url = `/${relative(dir, path).split(sep).join('/')}`;
      const extension = extname(name);
      const body = readFileSync(path);
      const file: WebFile = {
        body,
        compressible: compressible.has(extension) && body.length > 1024,
        type: contentTypes[extension] ?? 'application/octet-stream',
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
        immutable: url.startsWith('/assets/'),
      };
      files.set(url, file);
    }
  };
  walk(dir);
  return files;
}
