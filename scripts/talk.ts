// Talk to Tend from a WAV file over the WebSocket, hands-free, as a microphone would:
//   npm run talk -- question.wav [--url http://127.0.0.1:8080] [--lang en|zh] [--out reply]
// The access token comes from TEND_TOKEN; without it a throw-away account is registered.
// Prints partial transcripts, the transcript, the reply's tokens, and writes each spoken
// sentence to <out>-<n>.wav. Also reports end of speech → first audio byte, and where the time went.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { decodeWav, resample } from '@tend/voice/testing';

/** Times of one spoken turn, in ms from the end of speech (the last audio of the file sent). */
export interface TurnTimings {
  transcriptMs: number;
  firstTokenMs: number;
  firstAudioMs: number;
  doneMs: number;
  transcript: string;
  reply: string;
}

/** Registers a throw-away account and returns its access token. */
export async function throwAwayToken(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `talk-${Date.now()}-${Math.random().toString(36).slice(2)}@example.test`,
      password: 'correct horse battery staple',
      displayName: 'Talker',
      timezone: 'UTC',
    }),
  });
  if (!response.ok) throw new Error(`registering failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { accessToken: string }).accessToken;
}

/**
 * One hands-free turn: 16 kHz PCM sent in 100 ms frames at real time (or faster with `pace` 0),
 * then silence until the server hears the end of speech; resolves when the reply was spoken.
 */
export async function talk(options: {
  baseUrl: string;
  token: string;
  pcm: Int16Array;
  lang?: 'en' | 'zh';
  pace?: number;
  onMessage?: (message: Record<string, unknown>) => void;
  onAudio?: (sentence: number, audio: Buffer) => void;
}): Promise<TurnTimings> {
  const socket = new WebSocket(`${options.baseUrl.replace(/^http/, 'ws')}/ws`, ['tend.v1', `bearer.${options.token}`]);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const timings: Partial<TurnTimings> = {};
  let endOfSpeech = 0;
  let sentence = 0;
  let stopSending = false;
  const since = () => performance.now() - endOfSpeech;
  const done = new Promise<void>((resolve, reject) => {
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        timings.firstAudioMs ??= since();
        options.onAudio?.(sentence, data as Buffer);
        return;
      }
      const message = JSON.parse((data as Buffer).toString('utf8')) as Record<string, unknown>;
      options.onMessage?.(message);
      switch (message['type']) {
        case 'voice.transcript':
          stopSending = true;
          timings.transcriptMs = since();
          timings.transcript = String(message['text']);
          break;
        case 'chat.token':
          timings.firstTokenMs ??= since();
          break;
        case 'chat.reply':
          timings.reply = String(message['text']);
          break;
        case 'voice.audio':
          sentence = Number(message['sentence']);
          break;
        case 'voice.done':
          timings.doneMs = since();
          resolve();
          break;
        case 'voice.error':
        case 'error':
          reject(new Error(`${String(message['code'])}: ${String(message['message'])}`));
          break;
      }
    });
    socket.once('close', () => reject(new Error('the socket closed before the reply was spoken')));
  });
  socket.send(
    JSON.stringify({
      type: 'voice.start',
      format: 'pcm16',
      sampleRate: 16_000,
      ...(options.lang && { lang: options.lang }),
    }),
  );
  const frame = 1600; // 100 ms
  const pace = options.pace ?? 1;
  const silence = new Int16Array(frame);
  for (let at = 0; at < options.pcm.length; at += frame) {
    const chunk = options.pcm.subarray(at, at + frame);
    socket.send(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if (pace > 0) await new Promise((resolve) => setTimeout(resolve, 100 / pace));
  }
  endOfSpeech = performance.now();
  // A microphone keeps sending after the speaker stops: quiet frames, until the server is done listening.
  for (let i = 0; i < 30 && !stopSending; i++) {
    socket.send(Buffer.from(silence.buffer));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  try {
    await done;
  } finally {
    socket.close();
  }
  return timings as TurnTimings;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:8080' },
      lang: { type: 'string' },
      out: { type: 'string', default: 'reply' },
    },
  });
  const file = positionals[0];
  if (!file) throw new Error('usage: npm run talk -- question.wav [--url URL] [--lang en|zh] [--out reply]');
  const pcm = resample(decodeWav(readFileSync(file)), 16_000).samples;
  const token = process.env['TEND_TOKEN'] ?? (await throwAwayToken(values.url));
  const timings = await talk({
    baseUrl: values.url,
    token,
    pcm,
    lang: values.lang === 'zh' ? 'zh' : values.lang === 'en' ? 'en' : undefined,
    onMessage: (m) => {
      if (m['type'] === 'voice.partial') console.log(`… ${String(m['text'])}`);
      else if (m['type'] === 'voice.transcript') console.log(`you: ${String(m['text'])}`);
      else if (m['type'] === 'chat.reply') console.log(`tend: ${String(m['text'])}`);
    },
    onAudio: (n, audio) => {
      writeFileSync(`${values.out}-${n}.wav`, audio);
      console.log(`(spoken: ${values.out}-${n}.wav)`);
    },
  });
  console.log(
    `end of speech → transcript ${Math.round(timings.transcriptMs)} ms, first token ${Math.round(timings.firstTokenMs)} ms, first audio ${Math.round(timings.firstAudioMs)} ms, done ${Math.round(timings.doneMs)} ms`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
