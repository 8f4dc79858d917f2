export { startVoiceHarness, type VoiceHarness } from './voice-harness.js';
export { PocketsphinxRecognizer, readTrainingText } from '../engines/pocketsphinx-recognizer.js';
export { EspeakSynthesizer } from '../engines/espeak-synthesizer.js';
export { resample } from '../audio/resample.js';
export { spokenWords } from '../lm/spoken-words.js';
export { errorCounts } from '../error-rate.js';

/** The bundled domain sentences the recognizer's model is built from. */
export const bundledTrainingTextFile = new URL('../../data/en-domain.txt', import.meta.url);
