import { describe, expect, it } from 'vitest';
import { labelledCorpus } from './corpus.js';
import { ParaphraseMatcher, corpusTrainingSentences } from './paraphrase-matcher.js';
import { understand } from './understand.js';

describe('paraphrase matcher', () => {
  const matcher = new ParaphraseMatcher([
    { text: 'what medications am I on', intent: 'list_medications' },
    { text: 'what is the weather like', intent: 'weather' },
    { text: '明天天气怎么样', intent: 'weather' },
  ]);

  it('finds the nearest known sentence in either language, and nothing for the unrelated', () => {
    expect(matcher.match('which medications am I on right now')?.intent).toBe('list_medications');
    expect(matcher.match('后天天气怎么样')?.intent).toBe('weather');
    expect(matcher.match('xyzzy')).toBeUndefined();
  });

  it('never turns a resemblance into a write', () => {
    const writes = new ParaphraseMatcher([{ text: 'I took my pill', intent: 'log_dose' }], 0);
    expect(understand('I tookk my pil', { medicationNames: [], paraphrases: writes }).intent).toBe('unknown');
  });
});

describe('the labelled corpus', () => {
  // A floor against regressions; bench/nlu-accuracy.ts reports the exact figures.
  it('is understood on its held-out split at 95 % or better', () => {
    const paraphrases = new ParaphraseMatcher(corpusTrainingSentences());
    const test = labelledCorpus().filter((example) => example.split === 'test');
    const right = test.filter(
      (example) =>
        understand(example.text, { medicationNames: example.medicationNames, paraphrases }).intent === example.intent,
    );
    expect(test.length).toBeGreaterThan(100);
    expect(right.length / test.length).toBeGreaterThanOrEqual(0.95);
  });
});
