import { readFileSync } from 'node:fs';
import type { IntentName } from './understand.js';

/** One utterance of the labelled corpus (`corpus/{en,zh}.jsonl`). */
export interface LabelledExample {
  text: string;
  intent: IntentName;
  /** The slots it states; unstated ones are not judged. */
  slots: Record<string, unknown>;
  /** `train` teaches the paraphrase matcher and tunes the rules; `test` is held out for measuring. */
  split: 'train' | 'test';
  /** The medication list of the person saying it. */
  medicationNames: string[];
  language: 'en' | 'zh';
}

/** Every utterance of the corpus, both languages. */
export function labelledCorpus(): LabelledExample[] {
  return (['en', 'zh'] as const).flatMap((language) =>
    readFileSync(new URL(`../../corpus/${language}.jsonl`, import.meta.url), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => ({ ...(JSON.parse(line) as Omit<LabelledExample, 'language'>), language })),
  );
}
