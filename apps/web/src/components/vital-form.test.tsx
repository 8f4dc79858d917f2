// @vitest-environment happy-dom
import { cleanup, fireEvent, screen } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import type { VitalKind } from '../domain/units.js';
import { json, renderInApp, type Answer } from '../testing/render-app.js';
import { VitalForm } from './vital-form.js';

/** The form as the Vitals screen holds it: kind and unit kept by the parent. */
function Harness(props: { kind: VitalKind }) {
  const [kind, setKind] = useState<VitalKind>(props.kind);
  const [unitId, setUnitId] = useState('');
  return <VitalForm kind={kind} onKindChange={setKind} unitId={unitId} onUnitChange={setUnitId} />;
}

/** The gateway's answer to POST /api/v1/vitals: a saved reading, or its problem+json for a value that is no number. */
const gateway: Answer = ({ body }) => {
  const reading = body as Record<string, unknown>;
  const numbers = reading.kind === 'blood_pressure' ? [reading.systolic, reading.diastolic] : [reading.value];
  if (numbers.some((n) => typeof n !== 'number'))
    return json(
      400,
      {
        type: 'about:blank',
        title: 'Bad Request',
        status: 400,
        detail: 'invalid body',
        instance: 'req-1',
        errors: [{ field: 'value', message: 'Enter the reading as a number.' }],
      },
      'application/problem+json',
    );
  return json(201, { id: 'v-1', ...reading, takenAt: '2026-12-07T06:00:00.000Z', source: 'manual' });
};

afterEach(() => {
  cleanup();
  localStorage.clear();
});

describe('VitalForm', () => {
  it('sends a weight typed in pounds as pounds, for the API to store in kilograms', async () => {
    const { sent } = await renderInApp(<Harness kind="weight" />, { answer: gateway });
    fireEvent.click(screen.getByRole('radio', { name: 'lb' }));
    fireEvent.change(screen.getByRole('textbox', { name: 'Weight (lb)' }), { target: { value: '150' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save reading' }));

    expect(await screen.findByRole('status')).toHaveProperty('textContent', 'Reading saved.');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.method).toBe('POST');
    expect(sent[0]!.url.pathname).toBe('/api/v1/vitals');
    expect(sent[0]!.body).toEqual({ kind: 'weight', value: 150, unit: 'lb' });
  });

  it('converts blood pressure typed in kPa to mmHg before sending, since the API takes mmHg only', async () => {
    const { sent } = await renderInApp(<Harness kind="blood_pressure" />, { answer: gateway });
    fireEvent.click(screen.getByRole('radio', { name: 'kPa' }));
    fireEvent.change(screen.getByRole('textbox', { name: /^Top number .*\(kPa\)$/ }), { target: { value: '16' } });
    fireEvent.change(screen.getByRole('textbox', { name: /^Bottom number .*\(kPa\)$/ }), {
      target: { value: '10,7' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Save reading' }));

    await screen.findByRole('status');
    const body = sent[0]!.body as { systolic: number; diastolic: number; unit: string };
    expect(body.unit).toBe('mmHg');
    // 16 kPa × 7.50062 = 120.01 mmHg; 10.7 kPa = 80.26 mmHg, sent to one decimal.
    expect(body.systolic).toBeCloseTo(120, 1);
    expect(body.diastolic).toBeCloseTo(80.3, 1);
  });

  it('shows the API’s complaint under the field when the value is not a number, and saves nothing', async () => {
    const { sent } = await renderInApp(<Harness kind="weight" />, { answer: gateway });
    fireEvent.change(screen.getByRole('textbox', { name: 'Weight (kg)' }), { target: { value: 'heavy' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save reading' }));

    expect(await screen.findByText('Enter the reading as a number.')).toBeTruthy();
    expect(screen.getByRole('textbox', { name: 'Weight (kg)' }).getAttribute('aria-invalid')).toBe('true');
    expect(screen.queryByText('Reading saved.')).toBeNull();
    expect(sent[0]!.body).toEqual({ kind: 'weight', value: null, unit: 'kg' });
  });

  it('labels the form in Chinese when the language is Chinese', async () => {
    await renderInApp(<Harness kind="weight" />, { answer: gateway, language: 'zh' });
    expect(screen.getByRole('textbox', { name: '体重 (kg)' })).toBeTruthy();
    expect(screen.getByRole('button', { name: '保存测量' })).toBeTruthy();
  });
});
