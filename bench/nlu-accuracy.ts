// The embedded brain's understanding measured on the labelled corpus's held-out split.
//   npm run bench:nlu            the held-out split, the matcher trained on the train split
//   npm run bench:nlu -- train   the train split, each utterance left out of the matcher it meets
// Prints intent accuracy, exact-slot accuracy, per language, every miss, and the time per
// utterance. Rules are tuned on the train split's misses only; the held-out split is for
// measuring.
import { isDeepStrictEqual } from 'node:util';
import {
  ParaphraseMatcher,
  labelledCorpus,
  understand,
  type LabelledExample,
  type Understanding,
} from '@tend/conversation/testing';

const corpus = labelledCorpus();
const measured = process.argv[2] === 'train' ? 'train' : 'test';
const train = corpus.filter((e) => e.split === 'train');
const test = corpus.filter((e) => e.split === measured);
const matcherOf = (examples: readonly LabelledExample[]) =>
  new ParaphraseMatcher(examples.map((e) => ({ text: e.text, intent: e.intent })));
const heldOutMatcher = matcherOf(train);
/** The matcher an utterance meets: never one that learnt that very utterance. */
const paraphrasesFor = (example: LabelledExample) =>
  measured === 'test' ? heldOutMatcher : matcherOf(train.filter((e) => e !== example));

/** The slots of an understanding in the corpus's terms. */
function slotsOf(u: Understanding): Record<string, unknown> {
  return {
    ...(u.vital && { vital: u.vital }),
    ...(u.vitalKind && { vitalKind: u.vitalKind }),
    ...(u.medication?.name && { medication: u.medication.name }),
    ...(u.doseStatus && { doseStatus: u.doseStatus }),
    ...(u.period && { period: u.period }),
    ...(u.times && u.times.length > 0 && { times: u.times }),
  };
}

/** Every slot the example states is found with that value (unstated slots are not judged). */
function slotsMatch(expected: Record<string, unknown>, actual: Record<string, unknown>): boolean {
  return Object.entries(expected).every(([key, value]) => {
    if (key === 'vital') {
      const got = actual.vital as Record<string, unknown> | undefined;
      return got !== undefined && Object.entries(value as object).every(([k, v]) => isDeepStrictEqual(got[k], v));
    }
    return isDeepStrictEqual(actual[key], value);
  });
}

let intents = 0;
let slots = 0;
const misses: string[] = [];
const byLanguage = new Map<string, { total: number; intents: number; slots: number }>();
const matchers = test.map(paraphrasesFor);
const began = performance.now();
for (const [i, example] of test.entries()) {
  const u = understand(example.text, { medicationNames: example.medicationNames, paraphrases: matchers[i] });
  const intentOk = u.intent === example.intent;
  const slotsOk = intentOk && slotsMatch(example.slots, slotsOf(u));
  intents += intentOk ? 1 : 0;
  slots += slotsOk ? 1 : 0;
  const language = byLanguage.get(example.language) ?? { total: 0, intents: 0, slots: 0 };
  language.total++;
  language.intents += intentOk ? 1 : 0;
  language.slots += slotsOk ? 1 : 0;
  byLanguage.set(example.language, language);
  if (!slotsOk) {
    misses.push(
      `  ${example.text}\n    expected ${example.intent} ${JSON.stringify(example.slots)}\n    got      ${u.intent} ${JSON.stringify(slotsOf(u))}`,
    );
  }
}
const firstPass = ((performance.now() - began) * 1000) / test.length;
// Timed again once the patterns are compiled and the code is warm, as in a running service.
const rounds = 20;
const warm = performance.now();
for (let round = 0; round < rounds; round++) {
  for (const [i, example] of test.entries()) {
    understand(example.text, { medicationNames: example.medicationNames, paraphrases: matchers[i] });
  }
}
const microseconds = ((performance.now() - warm) * 1000) / (rounds * test.length);
const percent = (n: number, of: number) => `${((100 * n) / of).toFixed(1)} %`;
console.log(
  `${measured === 'test' ? 'held-out' : 'train'} split: ${test.length} utterances (${train.length} in train)`,
);
console.log(`intent accuracy      ${percent(intents, test.length)}`);
console.log(`exact-slot accuracy  ${percent(slots, test.length)}`);
for (const [language, r] of byLanguage) {
  console.log(
    `  ${language}: ${r.total} utterances, intents ${percent(r.intents, r.total)}, slots ${percent(r.slots, r.total)}`,
  );
}
console.log(`time per utterance   ${microseconds.toFixed(0)} µs warm (${firstPass.toFixed(0)} µs on the first pass)`);
if (misses.length > 0) console.log(`misses:\n${misses.join('\n')}`);
