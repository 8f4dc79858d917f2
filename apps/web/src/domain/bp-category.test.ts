import { describe, expect, it } from 'vitest';
import { bpCategories, categoryStyle, isBpCategory, systolicBands } from './bp-category.js';

describe('blood-pressure categories', () => {
  it('give every category a symbol as well as a colour, so colour is never the only sign', () => {
    const symbols = bpCategories.map((category) => categoryStyle(category).symbol);
    expect(new Set(symbols).size).toBe(bpCategories.length);
  });

  it('keep text readable on its colour (WCAG AA contrast of at least 4.5:1)', () => {
    for (const category of bpCategories) {
      const { background, foreground } = categoryStyle(category);
      expect(contrast(background, foreground), category).toBeGreaterThanOrEqual(4.5);
    }
  });

  it('recognise only the names the API uses', () => {
    expect(isBpCategory('hypertension_stage_2')).toBe(true);
    expect(isBpCategory('BLOOD_PRESSURE_CATEGORY_NORMAL')).toBe(false);
  });

  it('shade the chart in bands that follow one another without gaps', () => {
    for (let i = 1; i < systolicBands.length; i++) expect(systolicBands[i]!.from).toBe(systolicBands[i - 1]!.to);
  });
});

function luminance(hex: string): number {
  const channels = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const [r, g, b] = channels.map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)) as [
    number,
    number,
    number,
  ];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}
