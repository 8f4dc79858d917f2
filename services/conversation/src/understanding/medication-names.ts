/** Which of the person's medications a sentence names: one, several that fit, or none. */
export interface MedicationMatch {
  /** The one medication meant, spelled as the person's list has it. */
  name?: string;
  /** When the words fit several ("met…": metformin or metoprolol), all of them, to ask which. */
  candidates: string[];
}

/**
 * Finds the person's own medication in what they said, as speech recognition hears it: any
 * case, split or run together ("met formin"), a letter or two off ("metformine"), or only its
 * start ("the met"). Several equally good matches are reported, not guessed between.
 */
export function matchMedication(lower: string, names: readonly string[]): MedicationMatch {
  const squashed = lower.replace(/\s+/g, '');
  const exact = names.filter((name) => squashed.includes(name.toLowerCase().replace(/\s+/g, '')));
  if (exact.length === 1) return { name: exact[0], candidates: [] };
  if (exact.length > 1) {
    // "aspirin" inside "baby aspirin": the longest name wins when one contains the others.
    const longest = [...exact].sort((a, b) => b.length - a.length);
    if (longest.slice(1).every((n) => longest[0]!.toLowerCase().includes(n.toLowerCase()))) {
      return { name: longest[0], candidates: [] };
    }
    return { candidates: exact };
  }
  const words = lower.split(/[^\p{L}\p{N}]+/u).filter((w) => w.length >= 3);
  const near = names.filter((name) => {
    const target = name.toLowerCase();
    return words.some((word) => editDistance(word, target) <= Math.max(1, Math.floor(target.length / 5)));
  });
  if (near.length === 1) return { name: near[0], candidates: [] };
  if (near.length > 1) return { candidates: near };
  const prefixed = names.filter((name) =>
    words.some((word) => word.length >= 3 && name.toLowerCase().startsWith(word) && !stopWords.has(word)),
  );
  if (prefixed.length === 1) return { name: prefixed[0], candidates: [] };
  return { candidates: prefixed };
}

const stopWords = new Set([
  'the',
  'and',
  'took',
  'take',
  'taken',
  'my',
  'evening',
  'morning',
  'night',
  'pill',
  'pills',
  'all',
]);

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}
