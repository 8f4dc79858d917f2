import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets } from '@tend/testing';
import { VitalInputSchema, VitalKind, type Vital } from '@tend/proto/tend/health/v1/vitals';
import { insertTestUser, personCaller, startHealthHarness, type HealthHarness } from '../testing/health-harness.js';

const at = (iso: string) => timestampFromDate(new Date(iso));

const readings = [
  create(VitalInputSchema, {
    kind: VitalKind.BLOOD_PRESSURE,
    systolic: 135,
    diastolic: 85,
    unit: 'mm[Hg]',
    measuredAt: at('2026-11-02T07:00:00Z'),
  }),
  create(VitalInputSchema, {
    kind: VitalKind.WEIGHT,
    value: 160,
    unit: '[lb_av]',
    measuredAt: at('2026-11-03T07:00:00Z'),
  }),
  create(VitalInputSchema, {
    kind: VitalKind.GLUCOSE,
    value: 5.8,
    unit: 'mmol/L',
    measuredAt: at('2026-11-04T07:00:00Z'),
  }),
  create(VitalInputSchema, {
    kind: VitalKind.HEART_RATE,
    value: 64,
    unit: '/min',
    measuredAt: at('2026-11-05T07:00:00Z'),
  }),
];

/** What a reading is, without where it is stored. */
const essence = (v: Vital) => ({
  kind: v.kind,
  value: v.value,
  systolic: v.systolic,
  diastolic: v.diastolic,
  unit: v.unit,
  at: v.measuredAt?.seconds,
});

describe.each(databaseTargets())('FHIR on $kind PostgreSQL', (target) => {
  let harness: HealthHarness;
  let ada: string;
  let grace: string;

  beforeAll(async () => {
    harness = await startHealthHarness(target);
    ada = await insertTestUser(harness.context, { displayName: 'Ada' });
    grace = await insertTestUser(harness.context, { displayName: 'Grace' });
    await harness.client.batchRecordVitals({ caller: personCaller(ada), vitals: readings });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  const vitalsOf = async (userId: string) =>
    (await harness.client.listVitals({ caller: personCaller(userId), page: { limit: 100 } })).vitals.map(essence);

  it('exports a Bundle whose Observations carry LOINC codes and UCUM units', async () => {
    const { bundleJson, resourceCount } = await harness.client.exportFhir({ caller: personCaller(ada) });
    const bundle = JSON.parse(bundleJson);
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    expect(resourceCount).toBe(bundle.entry.length);
    const types = bundle.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType);
    expect(types).toContain('Patient');
    expect(types.filter((t: string) => t === 'Observation')).toHaveLength(readings.length);
    type Coded = { code?: { coding?: { code: string }[] } };
    const entries = bundle.entry as { resource: Coded & { component?: Coded[] } }[];
    const bp = entries.find((e) => e.resource.code?.coding?.[0]?.code === '85354-9')!.resource;
    expect(bp.component?.map((c) => c.code?.coding?.[0]?.code)).toEqual(['8480-6', '8462-4']);
  });

  it('re-imported into a fresh account gives the same readings, and a second import adds nothing', async () => {
    const { bundleJson } = await harness.client.exportFhir({ caller: personCaller(ada) });
    const first = await harness.client.importFhir({ caller: personCaller(grace), bundleJson });
    expect(first.imported).toBe(readings.length);
    expect(await vitalsOf(grace)).toEqual(await vitalsOf(ada));
    const second = await harness.client.importFhir({ caller: personCaller(grace), bundleJson });
    expect(second.imported).toBe(0);
    expect(second.issues.filter((i) => i.reason === 'duplicate')).toHaveLength(readings.length);
  });

  it('keeps the good entries and names the bad ones', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        {
          resource: {
            resourceType: 'Observation',
            code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
            effectiveDateTime: '2026-11-10T08:00:00Z',
            valueQuantity: { value: 71, code: '/min' },
          },
        },
        {
          resource: {
            resourceType: 'Observation',
            code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
            effectiveDateTime: '2026-11-10T09:00:00Z',
            valueQuantity: { value: 900, code: '/min' },
          },
        },
        { resource: { resourceType: 'Condition' } },
      ],
    };
    const result = await harness.client.importFhir({ caller: personCaller(grace), bundleJson: JSON.stringify(bundle) });
    expect(result.imported).toBe(1);
    expect(result.issues.map((i) => [i.entryIndex, i.reason])).toEqual([
      [1, 'invalid'],
      [2, 'unsupported'],
    ]);
  });

  it('rejects what is not a Bundle, naming the field', async () => {
    const error = await harness.client
      .importFhir({ caller: personCaller(grace), bundleJson: '{"resourceType":"Patient"}' })
      .catch((e: unknown) => e);
    expect(ConnectError.from(error).code).toBe(Code.InvalidArgument);
    expect(ConnectError.from(error).rawMessage).toContain('bundle_json');
  });

  it("does not export another person's record", async () => {
    const error = await harness.client
      .exportFhir({ caller: personCaller(grace), userId: ada })
      .catch((e: unknown) => e);
    expect(ConnectError.from(error).code).toBe(Code.PermissionDenied);
  });
});
