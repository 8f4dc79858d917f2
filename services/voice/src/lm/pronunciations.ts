import { readFile } from 'node:fs/promises';
import { runProcess } from '../audio/ffmpeg.js';

/**
 * IPA as espeak-ng writes it for US English, to the CMU phone set pocketsphinx's en-us acoustic
 * model uses. Longest match first.
 */
const ipaToCmu: [string, string][] = [
  ['tʃ', 'CH'],
  ['dʒ', 'JH'],
  ['aɪə', 'AY ER'],
  ['aɪ', 'AY'],
  ['aʊ', 'AW'],
  ['ɔɪ', 'OY'],
  ['eɪ', 'EY'],
  ['oʊ', 'OW'],
  ['əʊ', 'OW'],
  ['oːɹ', 'AO R'],
  ['ɪɹ', 'IH R'],
  ['ɛɹ', 'EH R'],
  ['ʊɹ', 'UH R'],
  ['ɑːɹ', 'AA R'],
  ['ɔːɹ', 'AO R'],
  ['iː', 'IY'],
  ['uː', 'UW'],
  ['ɑː', 'AA'],
  ['ɔː', 'AO'],
  ['ɜː', 'ER'],
  ['ɚ', 'ER'],
  ['ɝ', 'ER'],
  ['i', 'IY'],
  ['ɪ', 'IH'],
  ['ᵻ', 'IH'],
  ['ɛ', 'EH'],
  ['e', 'EH'],
  ['æ', 'AE'],
  ['a', 'AA'],
  ['ɑ', 'AA'],
  ['ɒ', 'AA'],
  ['ɔ', 'AO'],
  ['ʌ', 'AH'],
  ['ə', 'AH'],
  ['ɐ', 'AH'],
  ['ɜ', 'ER'],
  ['ʊ', 'UH'],
  ['u', 'UW'],
  ['o', 'OW'],
  ['p', 'P'],
  ['b', 'B'],
  ['t', 'T'],
  ['d', 'D'],
  ['k', 'K'],
  ['ɡ', 'G'],
  ['g', 'G'],
  ['f', 'F'],
  ['v', 'V'],
  ['θ', 'TH'],
  ['ð', 'DH'],
  ['s', 'S'],
  ['z', 'Z'],
  ['ʃ', 'SH'],
  ['ʒ', 'ZH'],
  ['h', 'HH'],
  ['x', 'HH'],
  ['m', 'M'],
  ['n', 'N'],
  ['ŋ', 'NG'],
  ['l', 'L'],
  ['ɫ', 'L'],
  ['ɹ', 'R'],
  ['r', 'R'],
  ['w', 'W'],
  ['j', 'Y'],
  ['ɾ', 'T'],
  ['ʔ', 'T'],
];

/** CMU phones for an espeak-ng IPA transcription; marks it has no phone for (stress, length) are dropped. */
export function cmuPhonesOfIpa(ipa: string): string[] {
  const phones: string[] = [];
  let rest = ipa.normalize('NFC');
  while (rest.length > 0) {
    const match = ipaToCmu.find(([symbol]) => rest.startsWith(symbol));
    if (match) {
      phones.push(...match[1].split(' '));
      rest = rest.slice(match[0].length);
    } else {
      rest = rest.slice(1);
    }
  }
  return phones;
}

/**
 * Pronunciations for the recognizer's dictionary: CMUdict's (shipped with pocketsphinx-en-us)
 * where it has the word, else espeak-ng's letter-to-sound rules turned into CMU phones. That is
 * how medication names such as "atorvastatin", absent from CMUdict, become recognizable.
 */
export class PronunciationDictionary {
  readonly #cmu: Map<string, string[]>;
  readonly #espeak: string;
  readonly #guessed = new Map<string, string>();

  private constructor(cmu: Map<string, string[]>, espeak: string) {
    this.#cmu = cmu;
    this.#espeak = espeak;
  }

  /** Loads CMUdict from `path` (`word  PH PH`, alternates as `word(2)`). */
  static async load(path: string, espeak: string): Promise<PronunciationDictionary> {
    const cmu = new Map<string, string[]>();
    for (const line of (await readFile(path, 'utf8')).split('\n')) {
      const space = line.indexOf(' ');
      if (space <= 0) continue;
      const word = line.slice(0, space).replace(/\(\d+\)$/, '');
      const phones = line.slice(space + 1).trim();
      const list = cmu.get(word);
      if (list) list.push(phones);
      else cmu.set(word, [phones]);
    }
    return new PronunciationDictionary(cmu, espeak);
  }

  /** Dictionary lines (`word PH PH`, `word(2) …`) for every word, guessing the unknown ones. */
  async entries(words: Iterable<string>): Promise<string[]> {
    const lines: string[] = [];
    const unknown = [...new Set(words)].filter((w) => !this.#cmu.has(w) && !this.#guessed.has(w));
    await this.#guess(unknown);
    for (const word of new Set(words)) {
      const known = this.#cmu.get(word) ?? (this.#guessed.has(word) ? [this.#guessed.get(word)!] : []);
      known.forEach((phones, i) => lines.push(`${i === 0 ? word : `${word}(${i + 1})`} ${phones}`));
    }
    return lines;
  }

  /** Asks espeak-ng once for all unknown words, one per line. */
  async #guess(words: string[]): Promise<void> {
    if (words.length === 0) return;
    const result = await runProcess(
      this.#espeak,
      ['-q', '--ipa', '-v', 'en-us', '--stdin'],
      Buffer.from(words.join('.\n') + '.\n'),
    );
    const lines = result.stdout
      .toString('utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
    words.forEach((word, i) => {
      const phones = cmuPhonesOfIpa((lines[i] ?? '').replace(/\s+/g, ''));
      if (phones.length > 0) this.#guessed.set(word, phones.join(' '));
    });
  }
}
