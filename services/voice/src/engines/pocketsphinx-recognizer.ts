import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { encodeWav } from '../audio/wav.js';
import type { Pcm } from '../audio/audio-errors.js';
import { runProcess } from '../audio/ffmpeg.js';
import { buildDomainModel } from '../lm/domain-model.js';
import { PronunciationDictionary } from '../lm/pronunciations.js';
import { EngineMissingError, type Recognizer, type Segment, type Transcript, type VoiceLanguage } from './engine.js';

/** Where pocketsphinx and its model live, and what it is taught. */
export interface PocketsphinxOptions {
  /** @default `pocketsphinx_continuous` found on the PATH */
  binary?: string;
  /** The en-us acoustic model and CMUdict (Debian's pocketsphinx-en-us). @default /usr/share/pocketsphinx/model/en-us */
  modelDir?: string;
  /** espeak-ng, which guesses pronunciations of words CMUdict lacks. @default `espeak-ng` on the PATH */
  espeak?: string;
  /** Domain sentences the language model is built from. */
  trainingText: readonly string[];
  /** Scratch space for models and audio. @default the OS temporary directory */
  workDir?: string;
  /** Language models kept per distinct hint list. @default 64 */
  cachedModels?: number;
}

/** Finds an executable on the PATH. */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * CMU pocketsphinx (BSD-2-Clause) with the en-us acoustic model, a domain trigram model built
 * here, and a dictionary reduced to its words. A person's medication names (the hints) get a
 * model and dictionary of their own, built in milliseconds and cached. English only: no
 * Mandarin acoustic model ships in any package this machine can install.
 */
export class PocketsphinxRecognizer implements Recognizer {
  readonly name = 'pocketsphinx';
  readonly #options: PocketsphinxOptions;
  readonly #binary: string | undefined;
  readonly #espeak: string | undefined;
  readonly #modelDir: string;
  readonly #workDir: string;
  readonly #models = new Map<string, Promise<{ lm: string; dict: string }>>();
  #dictionary: Promise<PronunciationDictionary> | undefined;
  #sequence = 0;

  constructor(options: PocketsphinxOptions) {
    this.#options = options;
    this.#binary = options.binary ?? onPath('pocketsphinx_continuous');
    this.#espeak = options.espeak ?? onPath('espeak-ng');
    this.#modelDir = options.modelDir ?? '/usr/share/pocketsphinx/model/en-us';
    this.#workDir = path.join(
      options.workDir ?? os.tmpdir(),
      `tend-voice-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    );
  }

  /** What is missing for it to work, or undefined when it can. */
  missing(): string | undefined {
    if (!this.#binary || !existsSync(this.#binary)) return 'pocketsphinx_continuous (Debian package pocketsphinx)';
    if (!existsSync(path.join(this.#modelDir, 'en-us', 'mdef')))
      return `the en-us acoustic model in ${this.#modelDir} (pocketsphinx-en-us)`;
    if (!this.#espeak || !existsSync(this.#espeak))
      return 'espeak-ng (Debian package espeak-ng), which spells out new words';
    return undefined;
  }

  languages(): VoiceLanguage[] {
    return this.missing() ? [] : ['en'];
  }

  async transcribe(
    pcm: Pcm,
    language: VoiceLanguage | undefined,
    hints: readonly string[],
    signal?: AbortSignal,
  ): Promise<Transcript> {
    const missing = this.missing();
    if (missing) throw new EngineMissingError(missing);
    if (language === 'zh') throw new EngineMissingError('a Mandarin recognizer (no local model is installed)');
    const model = await this.#modelFor(hints);
    const file = path.join(this.#workDir, `utt-${++this.#sequence}.wav`);
    await writeFile(file, encodeWav(pcm));
    try {
      const result = await runProcess(
        this.#binary!,
        ['-infile', file, '-hmm', path.join(this.#modelDir, 'en-us'), '-lm', model.lm, '-dict', model.dict].concat([
          '-time',
          'yes',
          '-logfn',
          '/dev/null',
        ]),
        undefined,
        { signal },
      );
      if (result.code !== 0) throw new Error(`pocketsphinx failed (${result.code}): ${result.stderr.slice(0, 200)}`);
      return parseOutput(result.stdout.toString('utf8'));
    } finally {
      await rm(file, { force: true });
    }
  }

  /** Removes its scratch files. */
  async close(): Promise<void> {
    await rm(this.#workDir, { recursive: true, force: true });
  }

  #modelFor(hints: readonly string[]): Promise<{ lm: string; dict: string }> {
    const names = [...new Set(hints.map((h) => h.trim().toLowerCase()).filter((h) => h !== ''))].sort().slice(0, 50);
    const key = createHash('sha256').update(names.join('\n')).digest('hex').slice(0, 16);
    let model = this.#models.get(key);
    if (!model) {
      model = this.#build(key, names);
      model.catch(() => this.#models.delete(key));
      this.#models.set(key, model);
      const limit = this.#options.cachedModels ?? 64;
      if (this.#models.size > limit) this.#models.delete(this.#models.keys().next().value!);
    }
    return model;
  }

  async #build(key: string, medications: string[]): Promise<{ lm: string; dict: string }> {
    await mkdir(this.#workDir, { recursive: true });
    this.#dictionary ??= PronunciationDictionary.load(path.join(this.#modelDir, 'cmudict-en-us.dict'), this.#espeak!);
    const dictionary = await this.#dictionary;
    const { arpa, vocabulary } = buildDomainModel(this.#options.trainingText, medications);
    const entries = await dictionary.entries([...vocabulary].filter((w) => w !== '<s>' && w !== '</s>'));
    const lm = path.join(this.#workDir, `${key}.lm`);
    const dict = path.join(this.#workDir, `${key}.dic`);
    await writeFile(lm, arpa);
    await writeFile(dict, entries.join('\n') + '\n');
    return { lm, dict };
  }
}

/** Reads the domain training sentences, one per line. */
export async function readTrainingText(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8')).split('\n').filter((line) => line.trim() !== '');
}

/**
 * pocketsphinx_continuous -time yes prints, per utterance, the hypothesis line and then one line
 * per word: `word start end posterior`. Fillers (<s>, <sil>, [NOISE]) are dropped.
 */
export function parseOutput(output: string): Transcript {
  const segments: Segment[] = [];
  const texts: string[] = [];
  const confidences: number[] = [];
  for (const line of output.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length === 4 && fields.slice(1).every((f) => /^-?\d+(\.\d+)?(e-?\d+)?$/.test(f))) {
      const word = fields[0]!.replace(/\(\d+\)$/, '');
      if (word.startsWith('<') || word.startsWith('[') || word.startsWith('+')) continue;
      segments.push({ text: word, startSeconds: Number(fields[1]), endSeconds: Number(fields[2]) });
      confidences.push(Number(fields[3]));
    } else if (line.trim() !== '') {
      texts.push(line.trim());
    }
  }
  const text = segments.length > 0 ? segments.map((s) => s.text).join(' ') : texts.join(' ');
  const confidence = confidences.length === 0 ? 0 : confidences.reduce((a, b) => a + b, 0) / confidences.length;
  return { text, language: 'en', confidence, segments, engine: 'pocketsphinx' };
}
