// End of speech → first audio byte of the answer, on the WebSocket, with the local engines.
//   npm start   (elsewhere), then: npm run bench:voice-latency -- [--url http://127.0.0.1:8080] [--turns 20]
// Each turn streams a spoken question at real time as 100 ms PCM frames, as a microphone would,
// then quiet frames until the server hears the end of speech (energy VAD, 500 ms hangover).
// Reports p50/p95 of: transcript, first reply token, first audio byte, all sentences spoken —
// each from the end of speech — then the same with 4 sessions talking at once.
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { decodeWav, resample } from '@tend/voice/testing';
import { talk, throwAwayToken, type TurnTimings } from '../scripts/talk.js';

const { values } = parseArgs({
  options: { url: { type: 'string', default: 'http://127.0.0.1:8080' }, turns: { type: 'string', default: '20' } },
});
const baseUrl = values.url;
const turns = Number(values.turns);
const questions = [
  'my blood pressure is one thirty five over eighty five',
  'i took my metformin',
  'what was my blood pressure this week',
  'my weight is seventy two kilograms',
  'remind me to take aspirin at eight p m',
  'did i take my pills today',
];
const audio = questions.map(
  (q) => resample(decodeWav(execFileSync('espeak-ng', ['-v', 'en-us', '--stdout', q])), 16_000).samples,
);

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};
function report(label: string, results: TurnTimings[], seconds: number): void {
  const row = (name: string, pick: (t: TurnTimings) => number) => {
    const values = results.map(pick);
    console.log(
      `  ${name.padEnd(22)} p50 ${String(Math.round(quantile(values, 0.5))).padStart(5)} ms   p95 ${String(Math.round(quantile(values, 0.95))).padStart(5)} ms`,
    );
  };
  console.log(
    `${label}: ${results.length} turns in ${seconds.toFixed(1)} s (${(results.length / seconds).toFixed(2)} turns/s)`,
  );
  row('transcript', (t) => t.transcriptMs);
  row('first reply token', (t) => t.firstTokenMs);
  row('first audio byte', (t) => t.firstAudioMs);
  row('reply fully spoken', (t) => t.doneMs);
}

async function session(count: number, offset: number): Promise<TurnTimings[]> {
  const token = await throwAwayToken(baseUrl);
  const results: TurnTimings[] = [];
  for (let i = 0; i < count; i++)
    results.push(await talk({ baseUrl, token, pcm: audio[(i + offset) % audio.length]! }));
  return results;
}

await session(1, 0); // warm-up: models built, connections open
let began = performance.now();
report('one session', await session(turns, 0), (performance.now() - began) / 1000);
began = performance.now();
const concurrent = (await Promise.all([0, 1, 2, 3].map((s) => session(Math.ceil(turns / 4), s)))).flat();
report('4 sessions at once', concurrent, (performance.now() - began) / 1000);
