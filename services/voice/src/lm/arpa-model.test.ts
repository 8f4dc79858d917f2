import { describe, expect, it } from 'vitest';
import { buildArpaModel } from './arpa-model.js';
import { buildDomainModel } from './domain-model.js';
import { spokenWords } from './spoken-words.js';

/** The log10 probabilities of one section of an ARPA file, by n-gram. */
function section(arpa: string, order: number): Map<string, { prob: number; bow?: number }> {
  const lines = arpa.split(`\\${order}-grams:\n`)[1]!.split('\n\n')[0]!.split('\n');
  return new Map(
    lines.map((line) => {
      const [prob, words, bow] = line.split('\t');
      return [words!, { prob: Number(prob), ...(bow !== undefined && { bow: Number(bow) }) }];
    }),
  );
}

describe('the ARPA trigram model', () => {
  const arpa = buildArpaModel(['i took my aspirin', 'i took my metformin', 'i took it']);

  it('declares as many n-grams as it lists', () => {
    expect(arpa).toMatch(/ngram 1=8\nngram 2=9\nngram 3=8/);
    expect(section(arpa, 2).size).toBe(9);
  });

  it('gives each history a proper distribution: seen mass plus back-off mass sum to one', () => {
    const bigrams = section(arpa, 2);
    const unigrams = section(arpa, 1);
    for (const history of ['took', 'my']) {
      const seen = [...bigrams].filter(([k]) => k.startsWith(`${history} `));
      const seenMass = seen.reduce((sum, [, v]) => sum + 10 ** v.prob, 0);
      const unseenLower = [...unigrams]
        .filter(([w]) => w !== '<s>' && !seen.some(([k]) => k.endsWith(` ${w}`)))
        .reduce((sum, [, v]) => sum + 10 ** v.prob, 0);
      expect(seenMass + 10 ** unigrams.get(history)!.bow! * unseenLower).toBeCloseTo(1, 4);
    }
  });
});

describe('the domain model', () => {
  it("lets a person's medication stand wherever the corpus names one", () => {
    const { vocabulary, arpa } = buildDomainModel(['I took my metformin'], ['Losartan']);
    expect(vocabulary.has('losartan')).toBe(true);
    expect(arpa).toContain('my losartan');
  });

  it('reads numbers, readings and units as they are said', () => {
    expect(spokenWords('bp 135/85')).toEqual(['bp one thirty five over eighty five']);
    expect(spokenWords('temp 37.5', true)).toEqual(['temp thirty seven point five']);
    expect(spokenWords('weight 72kg at 8:30')).toEqual(['weight seventy two kilograms at eight thirty']);
    expect(spokenWords('135', true)).toEqual(['one hundred thirty five', 'one thirty five']);
  });
});
