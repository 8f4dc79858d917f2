/** The ACC/AHA 2017 blood-pressure categories, as the API names them (`bpCategory`). */
export const bpCategories = [
  'normal',
  'elevated',
  'hypertension_stage_1',
  'hypertension_stage_2',
  'hypertensive_crisis',
] as const;

export type BpCategory = (typeof bpCategories)[number];

/** How a category is shown: the ACC/AHA chart's colour, a text colour that stays readable on it, and a symbol. */
export interface CategoryStyle {
  background: string;
  foreground: string;
  /** A shape beside the words, so the meaning never rests on colour alone. */
  symbol: string;
  /** 0 (normal) to 4 (crisis): the order of the bands on a chart. */
  level: number;
}

/**
 * The colours of the American Heart Association's blood-pressure chart (green, yellow, orange,
 * red, dark red). Every badge also carries the category's name and a symbol, so a person who
 * cannot tell these colours apart loses nothing (WCAG 1.4.1).
 */
const styles: Readonly<Record<BpCategory, CategoryStyle>> = {
  normal: { background: '#1e7b34', foreground: '#ffffff', symbol: '✓', level: 0 },
  elevated: { background: '#f2d024', foreground: '#1a1a1a', symbol: '▲', level: 1 },
  hypertension_stage_1: { background: '#f08a24', foreground: '#1a1a1a', symbol: '▲▲', level: 2 },
  hypertension_stage_2: { background: '#c62828', foreground: '#ffffff', symbol: '!', level: 3 },
  hypertensive_crisis: { background: '#6d0f0f', foreground: '#ffffff', symbol: '!!', level: 4 },
};

/** True when the API's string is one of the known categories. */
export function isBpCategory(value: unknown): value is BpCategory {
  return typeof value === 'string' && (bpCategories as readonly string[]).includes(value);
}

/** The style of a category. */
export function categoryStyle(category: BpCategory): CategoryStyle {
  return styles[category];
}

/** The systolic band (lower bound inclusive, in mmHg) each category starts at, for chart shading. */
export const systolicBands: readonly { category: BpCategory; from: number; to: number }[] = [
  { category: 'normal', from: 0, to: 120 },
  { category: 'elevated', from: 120, to: 130 },
  { category: 'hypertension_stage_1', from: 130, to: 140 },
  { category: 'hypertension_stage_2', from: 140, to: 180 },
  { category: 'hypertensive_crisis', from: 180, to: 300 },
];
