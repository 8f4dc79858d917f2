import { buildArpaModel } from './arpa-model.js';
import { numberReadings, spokenWords } from './spoken-words.js';

/** Medication names the training sentences use, which stand for any medication. */
const corpusMedications = [
  'metformin',
  'metoprolol',
  'lisinopril',
  'aspirin',
  'amlodipine',
  'levothyroxine',
  'atorvastatin',
];
const medicationPattern = new RegExp(`\\b(${corpusMedications.join('|')})\\b`, 'g');

/** A language model and the words it can produce. */
export interface DomainModel {
  arpa: string;
  vocabulary: Set<string>;
}

/**
 * The recognizer's language model for health-assistant talk: the domain's training sentences
 * in spoken words, every number up to 250 as said aloud, and each sentence that names a
 * medication once more per medication in `medications` (the person's own, as hints), so
 * "I took my losartan" is as likely as the corpus's "I took my metformin".
 */
export function buildDomainModel(trainingText: readonly string[], medications: readonly string[]): DomainModel {
  const names = [
    ...new Set([...corpusMedications, ...medications.map((m) => spokenWords(m)[0] ?? '').filter((m) => m !== '')]),
  ];
  const sentences: string[] = [];
  for (const line of trainingText) {
    for (const spoken of spokenWords(line, true)) {
      sentences.push(spoken);
      if (medicationPattern.test(spoken)) {
        for (const name of names) sentences.push(spoken.replace(medicationPattern, name));
      }
      medicationPattern.lastIndex = 0;
    }
  }
  for (let n = 0; n <= 250; n++) sentences.push(...numberReadings(n));
  for (const name of names) sentences.push(name);
  const vocabulary = new Set(sentences.flatMap((s) => s.split(' ')));
  return { arpa: buildArpaModel(sentences), vocabulary };
}
