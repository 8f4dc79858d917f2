// Speech recognition and synthesis measured on held-out health-assistant utterances.
//   npm run bench:voice            every held-out utterance of the corpus, three voices
//   npm run bench:voice -- 20      the first 20 only (a quick look)
// The recognizer's language model is built from the corpus's train split only; the utterances
// here are its test split, spoken by eSpeak NG voices (US, UK, US female) never used to tune
// anything, plus sentences naming medications absent from the training text, recognised with
// and without the person's medication names as hints. Prints WER per voice, real-time factors
// and the engines' memory.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  EspeakSynthesizer,
  PocketsphinxRecognizer,
  bundledTrainingTextFile,
  errorCounts,
  readTrainingText,
  resample,
  spokenWords,
} from '@tend/voice/testing';

const corpusFile = fileURLToPath(new URL('../services/conversation/corpus/en.jsonl', import.meta.url));
const limit = Number(process.argv[2] ?? Infinity);
const heldOut = readFileSync(corpusFile, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as { text: string; split: string })
  .filter((e) => e.split === 'test')
  .map((e) => spokenWords(e.text)[0] ?? '')
  .filter((text) => text !== '')
  .slice(0, limit);
// The person's own medications, none of them in the training text.
const medications = ['Losartan', 'Simvastatin', 'Omeprazole', 'Warfarin', 'Gabapentin', 'Sertraline'];
const medicationSentences = medications.flatMap((m) => [
  `i took my ${m.toLowerCase()} this morning`,
  `remind me to take ${m.toLowerCase()} at eight`,
]);
const voices = ['en-us', 'en-gb', 'en-us-f'];

const recognizer = new PocketsphinxRecognizer({
  trainingText: await readTrainingText(fileURLToPath(bundledTrainingTextFile)),
});
const synthesizer = new EspeakSynthesizer();
const missing = recognizer.missing() ?? synthesizer.missing();
if (missing) throw new Error(`cannot measure: ${missing} (bash scripts/infra.sh up voice)`);

interface Tally {
  errors: number;
  words: number;
  audioSeconds: number;
  asrSeconds: number;
  utterances: number;
}
const tally = (): Tally => ({ errors: 0, words: 0, audioSeconds: 0, asrSeconds: 0, utterances: 0 });
const results = new Map<string, Tally>();
const misses: string[] = [];
let ttsSeconds = 0;
let ttsAudio = 0;

async function measure(label: string, text: string, voice: string, hints: string[]): Promise<void> {
  const t0 = performance.now();
  const speech = await synthesizer.synthesize(text, 'en', voice);
  ttsSeconds += (performance.now() - t0) / 1000;
  const pcm = resample(speech.pcm, 16_000);
  const seconds = pcm.samples.length / 16_000;
  ttsAudio += seconds;
  const t1 = performance.now();
  const heard = await recognizer.transcribe(pcm, 'en', hints);
  const entry = results.get(label) ?? tally();
  const { errors, length } = errorCounts(text, heard.text, 'word');
  entry.errors += errors;
  entry.words += length;
  entry.audioSeconds += seconds;
  entry.asrSeconds += (performance.now() - t1) / 1000;
  entry.utterances++;
  results.set(label, entry);
  if (errors > 0 && misses.length < 40) misses.push(`${label}: "${text}" → "${heard.text}"`);
}

// Warm the models (dictionary load, language model build) outside the timings.
await recognizer.transcribe(resample((await synthesizer.synthesize('hello', 'en', 'en-us')).pcm, 16_000), 'en', []);
await recognizer.transcribe(
  resample((await synthesizer.synthesize('hello', 'en', 'en-us')).pcm, 16_000),
  'en',
  medications,
);

for (const voice of voices) {
  for (const text of heldOut) await measure(`held-out ${voice}`, text, voice, medications);
  for (const text of medicationSentences) {
    await measure(`medications ${voice} with hints`, text, voice, medications);
    await measure(`medications ${voice} without hints`, text, voice, []);
  }
}

const zhT0 = performance.now();
const zh = await synthesizer.synthesize('你的血压是一百三十五over八十五，属于正常范围。请继续按时服药。', 'zh', 'zh');
const zhSeconds = zh.pcm.samples.length / zh.pcm.sampleRate;
const zhRtf = (performance.now() - zhT0) / 1000 / zhSeconds;

const rss = (pattern: string) => {
  try {
    const out = execFileSync('sh', ['-c', `/usr/bin/time -f %M ${pattern} 2>&1 >/dev/null | tail -1`]).toString();
    return `${Math.round(Number(out.trim()) / 1024)} MiB`;
  } catch {
    return 'n/a';
  }
};

console.log(
  `held-out utterances: ${heldOut.length} × ${voices.length} voices; medication sentences: ${medicationSentences.length} × ${voices.length}`,
);
console.log('set                                   utts   words   WER     ASR RTF');
for (const [label, t] of results) {
  console.log(
    `${label.padEnd(37)} ${String(t.utterances).padStart(4)} ${String(t.words).padStart(7)}  ${((100 * t.errors) / t.words).toFixed(1).padStart(5)} %  ${(t.asrSeconds / t.audioSeconds).toFixed(3)}`,
  );
}
const all = [...results.entries()].filter(([k]) => !k.includes('without'));
const sum = (f: (t: Tally) => number) => all.reduce((s, [, t]) => s + f(t), 0);
console.log(
  `overall (hints on)                    ${String(sum((t) => t.utterances)).padStart(4)} ${String(sum((t) => t.words)).padStart(7)}  ${((100 * sum((t) => t.errors)) / sum((t) => t.words)).toFixed(1).padStart(5)} %  ${(sum((t) => t.asrSeconds) / sum((t) => t.audioSeconds)).toFixed(3)}`,
);
console.log(
  `TTS English RTF ${(ttsSeconds / ttsAudio).toFixed(3)}; Mandarin RTF ${zhRtf.toFixed(3)} (${zhSeconds.toFixed(1)} s of audio)`,
);
console.log(`peak memory: espeak-ng ${rss('espeak-ng -v en-us --stdout "your blood pressure is normal"')}`);
console.log('first misses:');
for (const miss of misses) console.log(`  ${miss}`);
await recognizer.close();
