import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import { HealthPublicService } from '@tend/proto/tend/health/v1/health_public_service';
import { describe, expect, it } from 'vitest';
import { fieldViolationsOf } from '../errors/errors.js';
import { errorMappingInterceptor, requestValidationInterceptor } from './interceptors.js';

/** A health service whose handlers only count the calls that reach them. */
function countingHealth() {
  const reached: string[] = [];
  const transport = createRouterTransport(
    (router) =>
      router.service(HealthPublicService, {
        createMedication: (req) => {
          reached.push(req.name);
          return { medication: { name: req.name } };
        },
        listMedications: () => {
          reached.push('list');
          return {};
        },
      }),
    { router: { interceptors: [errorMappingInterceptor(), requestValidationInterceptor()] } },
  );
  return { client: createClient(HealthPublicService, transport), reached };
}

async function refusal(call: Promise<unknown>): Promise<ConnectError> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConnectError);
  return error as ConnectError;
}

const validMedication = { name: 'Metformin', dose: 500, doseUnit: 'mg', schedule: { times: ['08:00'] } };

describe('request validation from the contract', () => {
  it('lets a request within its fields’ rules through to the handler', async () => {
    const { client, reached } = countingHealth();
    const { medication } = await client.createMedication(validMedication);
    expect(medication?.name).toBe('Metformin');
    expect(reached).toEqual(['Metformin']);
  });

  it('refuses a request breaking the rules with InvalidArgument naming every field by its JSON path, before the handler', async () => {
    const { client, reached } = countingHealth();
    const error = await refusal(
      client.createMedication({
        ...validMedication,
        name: 'x'.repeat(201),
        dose: -1,
        doseUnit: 'kg',
        schedule: { times: ['08:00', '25:00'] },
      }),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    expect(fieldViolationsOf(error).map((violation) => violation.field)).toEqual([
      'name',
      'dose',
      'doseUnit',
      'schedule.times[1]',
    ]);
    expect(reached).toEqual([]);
  });

  it('counts a text limit in code points, as the API documents', async () => {
    const { client } = countingHealth();
    // 200 emoji are 400 UTF-16 units but 200 characters: within the name's limit.
    await expect(client.createMedication({ ...validMedication, name: '💊'.repeat(200) })).resolves.toBeDefined();
    const error = await refusal(client.createMedication({ ...validMedication, name: '💊'.repeat(201) }));
    expect(fieldViolationsOf(error)).toEqual([{ field: 'name', message: 'must be at most 200 characters' }]);
  });

  it('checks nested messages shared by every contract, such as a page', async () => {
    const { client, reached } = countingHealth();
    const error = await refusal(client.listMedications({ page: { limit: 101, cursor: 'c'.repeat(513) } }));
    expect(fieldViolationsOf(error).map((violation) => violation.field)).toEqual(['page.limit', 'page.cursor']);
    expect(reached).toEqual([]);
  });
});
