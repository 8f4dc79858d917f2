import { Writable } from 'node:stream';
import { createLogger } from '@tend/core';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerEdgeHardening, staticSecurityHeaders } from './edge-hardening.js';

describe('security headers computed once', () => {
  it('are the headers helmet sets for the API: a CSP that allows nothing, no sniffing, no framing, HSTS', () => {
    const headers = staticSecurityHeaders();
    expect(headers).toMatchObject({
      'content-security-policy': "default-src 'none';frame-ancestors 'none'",
      'cross-origin-resource-policy': 'same-site',
      'cross-origin-opener-policy': 'same-origin',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'referrer-policy': 'no-referrer',
    });
    expect(headers).not.toHaveProperty('x-powered-by');
  });

  it('reach every response, and a route that serves HTML still sets its own CSP', async () => {
    const app = Fastify();
    const destination = new Writable({ write: (_chunk, _encoding, done) => done() });
    await registerEdgeHardening(app, { corsOrigins: [], logger: createLogger({ level: 'info', destination }) });
    app.get('/api/v1/thing', async () => ({ ok: true }));
    app.get('/page', async (_request, reply) =>
      reply.header('content-security-policy', "default-src 'self'").type('text/html').send('<p>hi</p>'),
    );
    const api = await app.inject({ url: '/api/v1/thing' });
    const missing = await app.inject({ url: '/nowhere' });
    const page = await app.inject({ url: '/page' });
    expect(api.headers['x-content-type-options']).toBe('nosniff');
    expect(missing.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
    expect(page.headers['content-security-policy']).toBe("default-src 'self'");
    expect(page.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    await app.close();
  });
});
