// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { VitalDay } from '../api/types.js';
import { json, renderInApp, type Answer } from '../testing/render-app.js';
import { YearHistory } from './year-history.js';

// The chart tab draws on a canvas, which happy-dom does not implement; its text counterpart, the
// table tab, carries the same days and is what this file checks. uPlot is replaced by an inert chart.
vi.mock('uplot', () => ({
  default: class {
    setSize(): void {}
    destroy(): void {}
  },
}));

/** Two days of glucose as the summary returns them: canonical mg/dL, oldest first, one empty day. */
const glucoseDays: VitalDay[] = [
  { startDate: '2026-12-05', count: 3, value: { min: 72, max: 162, mean: 108 } },
  { startDate: '2026-12-06', count: 0 },
  { startDate: '2026-12-07', count: 2, value: { min: 90, max: 126, mean: 99 } },
];

const summary: Answer = ({ url }) =>
  url.pathname === '/api/v1/vitals/summary' && url.searchParams.get('bucketSize') === 'day'
    ? json(200, { kind: url.searchParams.get('kind'), buckets: glucoseDays })
    : json(404, { title: 'Not Found', status: 404 });

/** The rows of the table tab, each as its cells' text. */
async function tableRows(): Promise<string[][]> {
  fireEvent.click(await screen.findByRole('tab', { name: 'Table' }));
  const table = await screen.findByRole('table');
  return within(table)
    .getAllByRole('row')
    .slice(1)
    .map((row) =>
      within(row)
        .getAllByRole('cell')
        .map((cell) => cell.textContent ?? ''),
    );
}

afterEach(() => {
  cleanup();
  localStorage.clear();
});

describe('YearHistory table', () => {
  it('shows each day’s count, average and lowest to highest in mg/dL, newest first, days without readings left out', async () => {
    const { sent } = await renderInApp(<YearHistory kind="glucose" unitId="mg/dL" />, { answer: summary });
    const rows = await tableRows();

    expect(sent[0]!.url.searchParams.get('kind')).toBe('glucose');
    expect(rows).toHaveLength(2);
    expect(rows.map((cells) => cells.slice(1))).toEqual([
      ['2', '99 mg/dL', '90 mg/dL – 126 mg/dL'],
      ['3', '108 mg/dL', '72 mg/dL – 162 mg/dL'],
    ]);
    expect(rows[0]![0]).toContain('Dec 7, 2026');
  });

  it('shows the same days in mmol/L, converted and read to one decimal', async () => {
    await renderInApp(<YearHistory kind="glucose" unitId="mmol/L" />, { answer: summary });
    const rows = await tableRows();

    // 1 mmol/L = 18.016 mg/dL: 162 → 8.99 → 9; 72 → 3.996 → 4; 99 → 5.495 → 5.5.
    expect(rows.map((cells) => cells.slice(1))).toEqual([
      ['2', '5.5 mmol/L', '5 mmol/L – 7 mmol/L'],
      ['3', '6 mmol/L', '4 mmol/L – 9 mmol/L'],
    ]);
  });
});
