import { existsSync } from 'node:fs';
import { decodeWav } from '../audio/wav.js';
import { runProcess } from '../audio/ffmpeg.js';
import { EngineMissingError, type Speech, type Synthesizer, type VoiceInfo, type VoiceLanguage } from './engine.js';
import { onPath } from './pocketsphinx-recognizer.js';

/** The voices offered: espeak-ng voice plus a variant, per language. */
const voices: (VoiceInfo & { espeak: string })[] = [
  { id: 'en-us', language: 'en', description: 'English (US)', engine: 'espeak-ng', espeak: 'en-us' },
  { id: 'en-us-f', language: 'en', description: 'English (US), female', engine: 'espeak-ng', espeak: 'en-us+f3' },
  { id: 'en-gb', language: 'en', description: 'English (UK)', engine: 'espeak-ng', espeak: 'en-gb' },
  { id: 'zh', language: 'zh', description: 'Mandarin Chinese', engine: 'espeak-ng', espeak: 'cmn' },
  { id: 'zh-f', language: 'zh', description: 'Mandarin Chinese, female', engine: 'espeak-ng', espeak: 'cmn+f3' },
];

/** Options of the espeak-ng synthesizer. */
export interface EspeakOptions {
  /** @default `espeak-ng` on the PATH */
  binary?: string;
  /** Words per minute. @default 165 */
  wordsPerMinute?: number;
}

/**
 * eSpeak NG (GPL-3.0): formant synthesis in English and Mandarin, light enough for a 2-core
 * machine (real-time factor ~0.02) and installed from Debian. Clear rather than pretty.
 */
export class EspeakSynthesizer implements Synthesizer {
  readonly name = 'espeak-ng';
  readonly #binary: string | undefined;
  readonly #speed: number;

  constructor(options: EspeakOptions = {}) {
    this.#binary = options.binary ?? onPath('espeak-ng');
    this.#speed = options.wordsPerMinute ?? 165;
  }

  /** What is missing for it to work, or undefined when it can. */
  missing(): string | undefined {
    return this.#binary && existsSync(this.#binary) ? undefined : 'espeak-ng (Debian package espeak-ng)';
  }

  voices(): VoiceInfo[] {
    if (this.missing()) return [];
    return voices.map(({ espeak: _espeak, ...info }) => info);
  }

  async synthesize(
    text: string,
    language: VoiceLanguage,
    voice: string | undefined,
    signal?: AbortSignal,
  ): Promise<Speech> {
    const missing = this.missing();
    if (missing) throw new EngineMissingError(missing);
    const chosen =
      voices.find((v) => v.id === voice && v.language === language) ?? voices.find((v) => v.language === language)!;
    // Text goes in on stdin, never as an argument: it is the caller's.
    const result = await runProcess(
      this.#binary!,
      ['-v', chosen.espeak, '-s', String(this.#speed), '--stdout', '--stdin'],
      Buffer.from(text, 'utf8'),
      { signal, maxOutputBytes: 50 * 1024 * 1024 },
    );
    if (result.code !== 0) throw new Error(`espeak-ng failed (${result.code}): ${result.stderr.slice(0, 200)}`);
    return { pcm: decodeWav(fixStreamedWav(result.stdout)), engine: this.name, voice: chosen.id };
  }
}

/**
 * espeak-ng writing to a pipe cannot seek back to fill in the RIFF sizes, so it leaves them at
 * 0x7FFFFFFF-ish placeholders; the data then runs to the end of the output. Patch the sizes.
 */
function fixStreamedWav(bytes: Buffer): Uint8Array {
  const copy = new Uint8Array(bytes);
  if (copy.length < 44) return copy;
  const view = new DataView(copy.buffer);
  view.setUint32(4, copy.length - 8, true);
  if (String.fromCharCode(...copy.subarray(36, 40)) === 'data') view.setUint32(40, copy.length - 44, true);
  return copy;
}
