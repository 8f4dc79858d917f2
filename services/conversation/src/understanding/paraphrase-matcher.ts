import { labelledCorpus } from './corpus.js';
import type { IntentName } from './understand.js';

/** A labelled sentence the matcher learns from. */
export interface LabelledSentence {
  text: string;
  intent: IntentName;
}

type Vector = Map<string, number>;

/**
 * The statistical half of the embedded brain: a sentence the rules do not recognise is compared
 * with the labelled sentences of the corpus (character 2- to 4-grams weighted by TF-IDF, cosine
 * similarity, nearest neighbour), so paraphrases of known requests still land. Character n-grams
 * work for Chinese, which has no spaces, as well as for English with its inflections.
 */
export class ParaphraseMatcher {
  readonly #examples: { intent: IntentName; vector: Vector }[];
  readonly #idf = new Map<string, number>();

  constructor(
    sentences: readonly LabelledSentence[],
    private readonly threshold = 0.3,
  ) {
    const grams = sentences.map((s) => ngrams(s.text));
    const documents = new Map<string, number>();
    for (const counts of grams) for (const gram of counts.keys()) documents.set(gram, (documents.get(gram) ?? 0) + 1);
    for (const [gram, n] of documents) this.#idf.set(gram, Math.log((1 + sentences.length) / (1 + n)) + 1);
    this.#examples = sentences.map((s, i) => ({ intent: s.intent, vector: this.#weigh(grams[i]!) }));
  }

  /** The intent of the most similar known sentence, when it is similar enough. */
  match(text: string): { intent: IntentName; score: number } | undefined {
    const vector = this.#weigh(ngrams(text));
    let best: { intent: IntentName; score: number } | undefined;
    for (const example of this.#examples) {
      const score = cosine(vector, example.vector);
      if (!best || score > best.score) best = { intent: example.intent, score };
    }
    return best && best.score >= this.threshold ? best : undefined;
  }

  #weigh(counts: Map<string, number>): Vector {
    const vector: Vector = new Map();
    let norm = 0;
    for (const [gram, count] of counts) {
      const weight = (1 + Math.log(count)) * (this.#idf.get(gram) ?? 0);
      if (weight === 0) continue;
      vector.set(gram, weight);
      norm += weight * weight;
    }
    norm = Math.sqrt(norm) || 1;
    for (const [gram, weight] of vector) vector.set(gram, weight / norm);
    return vector;
  }
}

/** The corpus's train split, the sentences the service's matcher learns from. */
export function corpusTrainingSentences(): LabelledSentence[] {
  return labelledCorpus()
    .filter((example) => example.split === 'train')
    .map(({ text, intent }) => ({ text, intent }));
}

function ngrams(text: string): Map<string, number> {
  const normalised = ` ${text
    .toLowerCase()
    .replace(/\d+(\.\d+)?/g, '#')
    .replace(/[^\p{L}\p{N}#]+/gu, ' ')
    .trim()} `;
  const counts = new Map<string, number>();
  for (let n = 2; n <= 4; n++) {
    for (let i = 0; i + n <= normalised.length; i++) {
      const gram = normalised.slice(i, i + n);
      counts.set(gram, (counts.get(gram) ?? 0) + 1);
    }
  }
  return counts;
}

function cosine(a: Vector, b: Vector): number {
  const [small, large] = a.size < b.size ? [a, b] : [b, a];
  let dot = 0;
  for (const [gram, weight] of small) dot += weight * (large.get(gram) ?? 0);
  return dot;
}
