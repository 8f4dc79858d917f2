import { create } from '@bufbuild/protobuf';
import { AudioEncoding, StreamTranscribeRequestSchema } from '@tend/proto/tend/voice/v1/voice';
import { describe, expect, it } from 'vitest';
import type { Transcript } from './engines/engine.js';
import { streamTranscripts, type StreamTranscriber } from './stream-transcribe.js';

const rate = 16_000;
const quiet = (ms: number) => new Int16Array((rate * ms) / 1000).map((_, i) => (i % 7) - 3);
const voice = (ms: number) => new Int16Array((rate * ms) / 1000).map((_, i) => Math.round(Math.sin(i / 4) * 6000));

/** A recogniser that "hears" how many bytes of audio it was given, and counts its calls. */
function countingTranscriber(): StreamTranscriber & { heard: number[] } {
  const heard: number[] = [];
  return {
    heard,
    maxBytes: 10_000_000,
    partialEveryBytes: Number.MAX_SAFE_INTEGER,
    hangoverMs: 500,
    speculateAfterMs: 200,
    transcribe(_caller, audio): Promise<Transcript> {
      heard.push(audio.length);
      return Promise.resolve({
        text: `${audio.length} bytes`,
        language: 'en',
        confidence: 1,
        segments: [],
        engine: 'counting',
      });
    },
  };
}

/** A hands-free stream of `parts`, 100 ms per message as a microphone sends them. */
async function* microphone(...parts: Int16Array[]) {
  yield create(StreamTranscribeRequestSchema, {
    event: {
      case: 'config',
      value: {
        format: { encoding: AudioEncoding.PCM_S16LE, sampleRateHz: rate },
        language: 'en',
        detectEndOfSpeech: true,
      },
    },
  });
  const all = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) all.set(part, (at += part.length) - part.length);
  for (let from = 0; from < all.length; from += rate / 10) {
    const chunk = all.subarray(from, from + rate / 10);
    yield create(StreamTranscribeRequestSchema, {
      event: { case: 'audio', value: new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength) },
    });
  }
}

async function finalOf(transcriber: StreamTranscriber, ...parts: Int16Array[]) {
  const replies = [];
  for await (const reply of streamTranscripts(microphone(...parts), transcriber)) replies.push(reply);
  return replies.at(-1)!;
}

describe('hands-free transcription', () => {
  it('recognises the speech during the hangover and answers with that transcript at its end', async () => {
    const transcriber = countingTranscriber();
    const final = await finalOf(transcriber, quiet(300), voice(1000), quiet(2000));
    // One recognition only, started 200 ms into the pause: it heard the speech and that pause.
    expect(transcriber.heard).toHaveLength(1);
    expect(transcriber.heard[0]!).toBeLessThan((300 + 1000 + 400) * 32);
    expect(final).toMatchObject({ isFinal: true, text: `${transcriber.heard[0]} bytes` });
    expect(final.speechEndedAtMs).toBeGreaterThan(1300);
  });

  it('discards the early transcript when the speaker goes on after a pause', async () => {
    const transcriber = countingTranscriber();
    const final = await finalOf(transcriber, voice(800), quiet(300), voice(800), quiet(2000));
    // The pause's guess missed the second half; the final was made again from everything.
    expect(transcriber.heard.length).toBeGreaterThanOrEqual(2);
    const last = transcriber.heard.at(-1)!;
    expect(last).toBeGreaterThan((800 + 300 + 800) * 32);
    expect(final).toMatchObject({ isFinal: true, text: `${last} bytes` });
  });
});
