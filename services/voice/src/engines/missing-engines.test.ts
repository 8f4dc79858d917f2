import { describe, expect, it } from 'vitest';
import { EngineMissingError } from './engine.js';
import { EspeakSynthesizer } from './espeak-synthesizer.js';
import { PocketsphinxRecognizer } from './pocketsphinx-recognizer.js';

describe('a machine without the speech engines', () => {
  it('names what is missing and refuses work with EngineMissingError, offering no languages or voices', async () => {
    const recognizer = new PocketsphinxRecognizer({ binary: '/nonexistent/pocketsphinx_continuous', trainingText: [] });
    const synthesizer = new EspeakSynthesizer({ binary: '/nonexistent/espeak-ng' });
    expect(recognizer.missing()).toMatch(/pocketsphinx/);
    expect(recognizer.languages()).toEqual([]);
    expect(synthesizer.voices()).toEqual([]);
    const pcm = { samples: new Int16Array(16_000), sampleRate: 16_000 };
    await expect(recognizer.transcribe(pcm, 'en', [])).rejects.toBeInstanceOf(EngineMissingError);
    await expect(synthesizer.synthesize('hello', 'en', undefined)).rejects.toThrow(/espeak-ng/);
  });
});
