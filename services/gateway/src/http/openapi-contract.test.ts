import { describe, expect, it } from 'vitest';
import { routeAccess } from './access-policy.js';
import { describeContract, errorStatusesOf, operationKey, type RouteFacts } from './openapi-contract.js';

function facts(overrides: Partial<RouteFacts>): RouteFacts {
  return {
    method: 'GET',
    url: '/api/v1/things',
    access: ['user'],
    validates: { body: false, querystring: false, params: false, headers: false },
    answers: [],
    ...overrides,
  };
}

describe('errorStatusesOf', () => {
  it('gives a signed-in read its token, rate-limit and upstream answers', () => {
    expect(errorStatusesOf(facts({}))).toEqual([401, 403, 404, 429, 503, 504]);
  });

  it('adds 400 for validated input and 404 for a record named in the path', () => {
    const route = facts({ url: '/api/v1/things/:id', validates: { ...facts({}).validates, params: true } });
    expect(errorStatusesOf(route)).toEqual([400, 401, 403, 404, 429, 503, 504]);
  });

  it('adds the body answers and a conflict to a write', () => {
    const route = facts({ method: 'POST', validates: { ...facts({}).validates, body: true } });
    expect(errorStatusesOf(route)).toEqual([400, 401, 403, 404, 409, 413, 415, 429, 503, 504]);
  });

  it('gives a public route no 401 or 403 unless its handler declares them', () => {
    const route = facts({ method: 'POST', access: 'anyone', validates: { ...facts({}).validates, body: true } });
    expect(errorStatusesOf(route)).toEqual([400, 413, 415, 429, 503, 504]);
    expect(errorStatusesOf({ ...route, answers: [401] })).toContain(401);
  });

  it('gives the JWKS, outside the rate-limited API, nothing to fail with', () => {
    expect(errorStatusesOf(facts({ url: '/.well-known/jwks.json', access: 'anyone' }))).toEqual([]);
  });
});

describe('describeContract', () => {
  const document = {
    openapi: '3.1.0',
    security: [{ bearer: [] }],
    paths: {
      '/healthz': { get: { responses: { 200: { description: 'Default Response' } } } },
      '/api/v1/auth/login': { post: { responses: { 200: { description: 'tokens' } } } },
      '/api/v1/vitals/{id}': {
        delete: { responses: { 204: { description: 'Default Response', content: { 'application/json': {} } } } },
      },
      '/api/v1/patients/{id}/vitals': { get: { responses: { 200: { description: 'readings' } } } },
    },
    components: { securitySchemes: {} },
  };
  const routes = new Map(
    [
      facts({ method: 'POST', url: '/api/v1/auth/login', access: routeAccess['POST /api/v1/auth/login'] }),
      facts({
        method: 'DELETE',
        url: '/api/v1/vitals/:id',
        access: routeAccess['DELETE /api/v1/vitals/:id'],
        validates: { body: false, querystring: false, params: true, headers: false },
      }),
      facts({
        url: '/api/v1/patients/:id/vitals',
        access: routeAccess['GET /api/v1/patients/:id/vitals'],
        validates: { body: false, querystring: true, params: true, headers: true },
        breakGlass: true,
      }),
    ].map((route) => [operationKey(route.method, route.url), route]),
  );
  const described = describeContract(document, routes) as unknown as {
    paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, Record<string, unknown>> }>>;
    components: { schemas: Record<string, unknown> };
  };

  it('keeps only the routes of the API', () => {
    expect(Object.keys(described.paths)).toEqual([
      '/api/v1/auth/login',
      '/api/v1/vitals/{id}',
      '/api/v1/patients/{id}/vitals',
    ]);
  });

  it('marks a public route as needing no token, and leaves the others to the document default', () => {
    expect(described.paths['/api/v1/auth/login']!.post!.security).toEqual([]);
    expect(described.paths['/api/v1/vitals/{id}']!.delete!.security).toBeUndefined();
  });

  it('describes each error as a problem document, with Retry-After on 429', () => {
    const responses = described.paths['/api/v1/vitals/{id}']!.delete!.responses;
    expect(Object.keys(responses)).toEqual(['204', '400', '401', '403', '404', '413', '415', '429', '503', '504']);
    expect(responses['404']).toEqual({ $ref: '#/components/responses/NotFound' });
    const shared = (described.components as unknown as { responses: Record<string, Record<string, unknown>> })
      .responses;
    expect(shared['NotFound']!.content).toEqual({
      'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
    });
    expect(shared['TooManyRequests']!.headers).toHaveProperty('Retry-After');
    expect(described.components.schemas).toHaveProperty('Problem');
  });

  it('says on a route an admin may use in break-glass mode that its 403 is the refusal without Tend-Break-Glass', () => {
    const refusal = described.paths['/api/v1/patients/{id}/vitals']!.get!.responses['403']!;
    expect(refusal.description).toContain('Tend-Break-Glass');
    expect(refusal.content).toEqual({
      'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
    });
    expect(described.paths['/api/v1/vitals/{id}']!.delete!.responses['403']).toEqual({
      $ref: '#/components/responses/Forbidden',
    });
  });

  it('describes a 204 without a body', () => {
    expect(described.paths['/api/v1/vitals/{id}']!.delete!.responses['204']).toEqual({
      description: 'Done; nothing to return',
    });
  });

  it('leaves the document it was given unchanged', () => {
    expect(Object.keys(document.paths)).toContain('/healthz');
  });
});
