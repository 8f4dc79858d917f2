import { createLogger } from '@tend/core';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { pathItemsOf, type RouteMethod } from './path-items.js';
import { registerPathItemGuard, registerProblemHandlers } from './problems.js';

const routes: RouteMethod[] = [
  { method: 'GET', url: '/api/v1/vitals/summary' },
  { method: 'GET', url: '/api/v1/vitals/:id' },
  { method: 'DELETE', url: '/api/v1/vitals/:id' },
  { method: 'POST', url: '/api/v1/appointments/import' },
  { method: 'GET', url: '/api/v1/appointments/:id' },
  { method: 'PATCH', url: '/api/v1/appointments/:id' },
  { method: 'POST', url: '/api/v1/medications/:id/doses' },
];

describe('pathItemsOf', () => {
  const pathItemOf = pathItemsOf(() => routes);

  it('resolves a path to the literal path item before a templated one that also matches', () => {
    expect(pathItemOf('/api/v1/vitals/summary')).toEqual({ url: '/api/v1/vitals/summary', methods: ['GET'] });
    expect(pathItemOf('/api/v1/appointments/import')).toEqual({
      url: '/api/v1/appointments/import',
      methods: ['POST'],
    });
  });

  it('resolves any other segment to the template, with every method served there', () => {
    expect(pathItemOf('/api/v1/vitals/0f8fad5b-d9cb-469f-a165-70867728950e')).toEqual({
      url: '/api/v1/vitals/:id',
      methods: ['DELETE', 'GET'],
    });
    expect(pathItemOf('/api/v1/medications/x/doses')?.methods).toEqual(['POST']);
  });

  it('knows no path item for a path no route matches', () => {
    expect(pathItemOf('/api/v1/vitals/x/y')).toBeUndefined();
  });
});

describe('registerPathItemGuard', () => {
  async function gateway() {
    const app = Fastify();
    const pathItemOf = pathItemsOf(() => routes);
    registerProblemHandlers(app, createLogger({ level: 'silent' }), pathItemOf);
    registerPathItemGuard(app, pathItemOf);
    for (const { method, url } of routes) app.route({ method, url, handler: async () => ({ served: url }) });
    await app.ready();
    return app;
  }

  it('answers 405 with the literal path item’s methods when the router would take a template', async () => {
    const app = await gateway();
    const deleted = await app.inject({ method: 'DELETE', url: '/api/v1/vitals/summary' });
    expect(deleted.statusCode).toBe(405);
    expect(deleted.headers.allow).toBe('GET');
    expect(deleted.headers['content-type']).toMatch(/^application\/problem\+json/);
    const patched = await app.inject({ method: 'PATCH', url: '/api/v1/appointments/import', payload: {} });
    expect(patched.statusCode).toBe(405);
    expect(patched.headers.allow).toBe('POST');
    await app.close();
  });

  it('answers OPTIONS with the methods of the path item the path is', async () => {
    const app = await gateway();
    const options = await app.inject({ method: 'OPTIONS', url: '/api/v1/vitals/summary' });
    expect(options.statusCode).toBe(405);
    expect(options.headers.allow).toBe('GET');
    await app.close();
  });

  it('leaves requests the path item serves to their routes', async () => {
    const app = await gateway();
    expect((await app.inject({ method: 'GET', url: '/api/v1/vitals/summary' })).json()).toEqual({
      served: '/api/v1/vitals/summary',
    });
    expect((await app.inject({ method: 'DELETE', url: '/api/v1/vitals/abc' })).json()).toEqual({
      served: '/api/v1/vitals/:id',
    });
    await app.close();
  });
});
