/**
 * Word error rate (English) and character error rate (Chinese): the edit distance between what
 * was said and what was heard, over the length of what was said. Both sides are normalised the
 * same way (case, punctuation, spacing), so only recognition mistakes count.
 */
export function errorRate(reference: string, hypothesis: string, unit: 'word' | 'char'): number {
  const ref = tokens(reference, unit);
  const hyp = tokens(hypothesis, unit);
  if (ref.length === 0) return hyp.length === 0 ? 0 : 1;
  return editDistance(ref, hyp) / ref.length;
}

/** Errors and reference length, for summing over a set before dividing. */
export function errorCounts(
  reference: string,
  hypothesis: string,
  unit: 'word' | 'char',
): { errors: number; length: number } {
  const ref = tokens(reference, unit);
  return { errors: editDistance(ref, tokens(hypothesis, unit)), length: ref.length };
}

/** Lower case, punctuation dropped; words by spaces, or characters with spaces removed. */
export function tokens(text: string, unit: 'word' | 'char'): string[] {
  const clean = text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}'\s]/gu, ' ')
    .trim();
  if (unit === 'char') return [...clean.replace(/\s+/g, '')];
  return clean === '' ? [] : clean.split(/\s+/);
}

/** Levenshtein distance over tokens (substitutions, insertions, deletions each cost 1). */
export function editDistance(a: readonly string[], b: readonly string[]): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}
