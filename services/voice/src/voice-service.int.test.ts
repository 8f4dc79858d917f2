import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Code, ConnectError } from '@connectrpc/connect';
import { invalidArgumentViolations } from '@tend/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { create } from '@bufbuild/protobuf';
import { AudioEncoding, StreamTranscribeRequestSchema } from '@tend/proto/tend/voice/v1/voice';
import { encodeWav } from './audio/wav.js';
import { resample } from './audio/resample.js';
import { encodeSpeech } from './audio/encode.js';
import { EspeakSynthesizer } from './engines/espeak-synthesizer.js';
import { onPath } from './engines/pocketsphinx-recognizer.js';
import { startVoiceHarness, type VoiceHarness } from './testing/voice-harness.js';
import { errorRate } from './error-rate.js';

const enginesInstalled = Boolean(
  onPath('pocketsphinx_continuous') && onPath('espeak-ng') && existsSync('/usr/share/pocketsphinx/test/data'),
);
if (!enginesInstalled) console.warn('voice: pocketsphinx/espeak-ng missing; run `bash scripts/infra.sh up voice`');

/** Speech made by a voice the recognizer was not tuned on, as 16 kHz WAV. */
async function spoken(text: string, voice = 'en-gb'): Promise<Uint8Array> {
  const speech = await new EspeakSynthesizer().synthesize(text, 'en', voice);
  return encodeWav(resample(speech.pcm, 16_000));
}

async function codeOf(work: Promise<unknown>): Promise<{ code: Code; message: string }> {
  try {
    await work;
  } catch (error) {
    const e = ConnectError.from(error);
    return { code: e.code, message: e.rawMessage };
  }
  throw new Error('expected the call to fail');
}

describe.runIf(enginesInstalled)('voice service on real engines', () => {
  let voice: VoiceHarness;
  beforeAll(async () => {
    voice = await startVoiceHarness();
  });
  afterAll(async () => voice?.stop());

  it('reports SERVING only because its engines are installed', () => {
    expect(voice.serving).toBe(true);
  });

  it('transcribes a held-out English utterance and names the engine', async () => {
    const audio = await spoken('my blood pressure is one forty over ninety', 'en-us');
    const reply = await voice.client.transcribe({ caller: voice.caller, audio, language: 'en' });
    expect(errorRate('my blood pressure is one forty over ninety', reply.text, 'word')).toBeLessThanOrEqual(0.15);
    expect(reply.provider).toBe('pocketsphinx');
    expect(reply.segments.length).toBeGreaterThan(3);
    expect(reply.audioSeconds).toBeGreaterThan(1);
  });

  it('recognises a real person reading digits (a human recording from pocketsphinx-testdata)', async () => {
    // TIDIGITS utterance "two nine three four zero": raw 16 kHz 16-bit PCM of a human speaker.
    const audio = new Uint8Array(readFileSync('/usr/share/pocketsphinx/test/data/tidigits/dhd.2934z.raw'));
    const reply = await voice.client.transcribe({
      caller: voice.caller,
      audio,
      format: { encoding: AudioEncoding.PCM_S16LE, sampleRateHz: 16_000 },
      language: 'en',
    });
    // "four" and "for" sound the same; a homophone is the one error allowed.
    expect(errorRate('two nine three four zero', reply.text, 'word')).toBeLessThanOrEqual(0.2);
  });

  it("hears the person's own medication name only when it is given as a hint", async () => {
    const audio = await spoken('I took my losartan this morning');
    const biased = await voice.client.transcribe({
      caller: voice.caller,
      audio,
      language: 'en',
      phraseHints: ['Losartan'],
    });
    const plain = await voice.client.transcribe({ caller: voice.caller, audio, language: 'en' });
    expect(biased.text).toContain('losartan');
    expect(plain.text).not.toContain('losartan');
  });

  it('decodes Ogg/Opus and MP3 as browsers and phones send them', async () => {
    const speech = await new EspeakSynthesizer().synthesize('remind me to take aspirin at eight', 'en', 'en-us');
    for (const [format, encoding] of [
      ['ogg', AudioEncoding.OGG_OPUS],
      ['mp3', AudioEncoding.MP3],
    ] as const) {
      const audio = await encodeSpeech(speech.pcm, format);
      const reply = await voice.client.transcribe({
        caller: voice.caller,
        audio,
        format: { encoding },
        language: 'en',
      });
      expect(reply.text, format).toContain('aspirin');
    }
  });

  it('refuses bad audio with InvalidArgument naming what was wrong, and stays healthy', async () => {
    const caller = voice.caller;
    const silence = encodeWav({ samples: new Int16Array(16_000 * 2), sampleRate: 16_000 });
    const twoHours = encodeWav({ samples: new Int16Array(8000 * 61), sampleRate: 8000 });
    const lowRate = encodeWav({ samples: new Int16Array(4000), sampleRate: 4000 });
    const mp3InWav = encodeWav({ samples: new Int16Array(16_000), sampleRate: 16_000 });
    new DataView(mp3InWav.buffer).setUint16(20, 0x55, true);
    const cases: [Uint8Array, AudioEncoding, RegExp][] = [
      [new Uint8Array(0), AudioEncoding.WAV, /is empty/],
      [new TextEncoder().encode('definitely not a wave file, just text'), AudioEncoding.WAV, /not a RIFF\/WAVE file/],
      [silence, AudioEncoding.WAV, /silent/],
      [twoHours, AudioEncoding.WAV, /at most 60 s/],
      [lowRate, AudioEncoding.WAV, /sample rate of 4000 Hz/],
      [mp3InWav, AudioEncoding.WAV, /WAVE codec 85/],
      [
        new TextEncoder().encode('OggS but not really ogg data at all'),
        AudioEncoding.OGG_OPUS,
        /could not be decoded as audio\/ogg/,
      ],
    ];
    for (const [audio, encoding, message] of cases) {
      const failure = await codeOf(voice.client.transcribe({ caller, audio, format: { encoding }, language: 'en' }));
      expect(failure.code, String(message)).toBe(Code.InvalidArgument);
      expect(failure.message).toMatch(message);
    }
    expect(await voice.metrics.text()).toContain(
      `tend_voice_recognitions_total{engine="none",outcome="invalid"} ${cases.length}`,
    );
    const good = await voice.client.transcribe({
      caller,
      audio: await spoken('I weigh seventy kilograms'),
      language: 'en',
    });
    expect(good.text).toContain('seventy');
  });

  it('holds requests to the contract’s field rules, naming each field by its JSON name, before any work', async () => {
    const caller = voice.caller;
    const audio = encodeWav({ samples: new Int16Array(16_000), sampleRate: 16_000 });
    expect(await invalidArgumentViolations(voice.client.transcribe({ caller, audio, language: 'fr' }))).toEqual([
      { field: 'language', message: 'must be "en" or "zh"' },
    ]);
    expect(
      await invalidArgumentViolations(
        voice.client.transcribe({
          caller,
          audio,
          format: { encoding: AudioEncoding.PCM_S16LE, sampleRateHz: 4000 },
          phraseHints: ['Losartan', 'x'.repeat(65)],
        }),
      ),
    ).toEqual([
      {
        field: 'format.sampleRateHz',
        message: 'must be greater than or equal to 8000 and less than or equal to 192000',
      },
      { field: 'phraseHints[1]', message: 'must be at most 64 characters' },
    ]);
    expect(await invalidArgumentViolations(voice.client.synthesize({ caller, text: 'Hello', language: 'de' }))).toEqual(
      [{ field: 'language', message: 'must be "en" or "zh"' }],
    );
    // A region, in any case, is still the language.
    const spoken = await voice.client.synthesize({ caller, text: 'Hello', language: 'EN-gb' });
    expect(spoken.audio.length).toBeGreaterThan(0);
  });

  it('refuses Mandarin recognition with FAILED_PRECONDITION: no local Mandarin model is installed', async () => {
    const failure = await codeOf(
      voice.client.transcribe({ caller: voice.caller, audio: await spoken('hello'), language: 'zh' }),
    );
    expect(failure.code).toBe(Code.FailedPrecondition);
    expect(failure.message).toMatch(/Mandarin/);
    expect(await voice.metrics.text()).toContain(
      'tend_voice_recognitions_total{engine="none",outcome="engine-missing"} 1',
    );
  });

  it('refuses anonymous audio', async () => {
    const failure = await codeOf(voice.client.transcribe({ audio: await spoken('hello') }));
    expect(failure.code).toBe(Code.Unauthenticated);
  });

  it('speaks English and Mandarin as WAV and Ogg/Opus, and lists its voices', async () => {
    const wav = await voice.client.synthesize({
      caller: voice.caller,
      text: 'Your blood pressure is normal.',
      language: 'en',
    });
    expect(new TextDecoder().decode(wav.audio.subarray(0, 4))).toBe('RIFF');
    expect(wav.audioSeconds).toBeGreaterThan(1);
    const ogg = await voice.client.synthesize({
      caller: voice.caller,
      text: '你的血压正常。',
      language: 'zh',
      format: { encoding: AudioEncoding.OGG_OPUS },
    });
    expect(new TextDecoder().decode(ogg.audio.subarray(0, 4))).toBe('OggS');
    const { voices, recognitionLanguages } = await voice.client.listVoices({});
    expect(voices.map((v) => v.language)).toEqual(expect.arrayContaining(['en', 'zh']));
    expect(recognitionLanguages).toEqual(['en']);
  });

  it('streams speech one sentence per chunk, in order', async () => {
    const chunks = [];
    for await (const chunk of voice.client.streamSynthesize({
      request: { caller: voice.caller, text: 'I recorded it. Your reading is high. Please rest.', language: 'en' },
    })) {
      chunks.push(chunk);
    }
    expect(chunks.map((c) => c.text)).toEqual(['I recorded it.', 'Your reading is high.', 'Please rest.']);
    expect(chunks.every((c) => new TextDecoder().decode(c.audio.subarray(0, 4)) === 'RIFF')).toBe(true);
  });

  /** A PCM stream of `pcm` in 250 ms chunks, paced like a microphone. */
  async function* pcmStream(pcm: Uint8Array, detectEndOfSpeech: boolean, sent: { bytes: number }) {
    yield create(StreamTranscribeRequestSchema, {
      event: {
        case: 'config',
        value: {
          caller: voice.caller,
          format: { encoding: AudioEncoding.PCM_S16LE, sampleRateHz: 16_000 },
          language: 'en',
          detectEndOfSpeech,
        },
      },
    });
    for (let at = 0; at < pcm.length; at += 8000) {
      sent.bytes = at + 8000;
      yield create(StreamTranscribeRequestSchema, { event: { case: 'audio', value: pcm.subarray(at, at + 8000) } });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('streams partial transcripts while audio arrives, then the final one', async () => {
    const wav = await spoken('my weight today is eighty two kilograms and my blood sugar is one hundred', 'en-us');
    const replies = [];
    for await (const reply of voice.client.streamTranscribe(pcmStream(wav.subarray(44), false, { bytes: 0 }))) {
      replies.push(reply);
    }
    expect(replies.at(-1)!.isFinal).toBe(true);
    expect(replies.at(-1)!.text).toContain('kilograms');
    expect(replies.filter((r) => !r.isFinal).length).toBeGreaterThan(0);
  });

  it('ends a hands-free utterance by itself once the speaker falls quiet', async () => {
    const wav = await spoken('I took my metformin', 'en-us');
    const quiet = new Uint8Array(16_000 * 2 * 3);
    const audio = Buffer.concat([wav.subarray(44), quiet]);
    const sent = { bytes: 0 };
    const replies = [];
    for await (const reply of voice.client.streamTranscribe(pcmStream(audio, true, sent))) replies.push(reply);
    const final = replies.at(-1)!;
    expect(final).toMatchObject({ isFinal: true, provider: 'pocketsphinx' });
    expect(final.text).toContain('metformin');
    expect(final.speechEndedAtMs).toBeGreaterThan(0);
    // It answered before the three seconds of silence were all sent.
    expect(sent.bytes).toBeLessThan(audio.length);
  });

  it('publishes voice_processing events with durations and engine, never audio or words', async () => {
    await voice.client.transcribe({ caller: voice.caller, audio: await spoken('I took my metformin'), language: 'en' });
    await expect.poll(() => voice.events.length, { timeout: 10_000 }).toBeGreaterThan(0);
    const event = voice.events.find((e) => e.type === 'tend.voice.transcription.completed')!;
    expect(event.partitionkey).toBe(voice.caller.userId);
    expect(event.data).toMatchObject({ engine: 'pocketsphinx', language: 'en', operation: 'transcription' });
    expect(JSON.stringify(voice.events)).not.toMatch(/metformin|took/i);
  });
});

describe.runIf(enginesInstalled)('voice service under load and with a provider', () => {
  it('answers RESOURCE_EXHAUSTED with Retry-After when its pool and queue are full', async () => {
    const voice = await startVoiceHarness({ concurrency: 1, maxQueued: 1 });
    try {
      const audio = await spoken('my blood pressure is one forty over ninety');
      const results = await Promise.allSettled(
        Array.from({ length: 4 }, () => voice.client.transcribe({ caller: voice.caller, audio, language: 'en' })),
      );
      const refused = results.filter((r) => r.status === 'rejected').map((r) => ConnectError.from(r.reason));
      expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThanOrEqual(2);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused[0]!.code).toBe(Code.ResourceExhausted);
      expect(refused[0]!.metadata.get('retry-after')).toBe('1');
      const text = await voice.metrics.text();
      expect(text).toContain(`tend_voice_rejections_total{operation="recognition"} ${refused.length}`);
      expect(text).toContain(`tend_voice_recognitions_total{engine="none",outcome="busy"} ${refused.length}`);
      expect(text).toContain(`tend_voice_recognitions_total{engine="pocketsphinx",outcome="ok"} ${4 - refused.length}`);
      expect(text).toContain('tend_voice_queue_depth 0');
    } finally {
      await voice.stop();
    }
  });

  it('prefers an OpenAI-compatible provider, and falls back to the local engine when it fails', async () => {
    let failing = false;
    const requests: string[] = [];
    const server = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      req.resume();
      req.on('end', () => {
        if (failing) {
          res.writeHead(500).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ text: 'I took my losartan', language: 'english', segments: [] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const voice = await startVoiceHarness({
      provider: { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` },
    });
    try {
      const audio = await spoken('my blood pressure is one forty over ninety');
      const remote = await voice.client.transcribe({ caller: voice.caller, audio, language: 'en' });
      expect(remote).toMatchObject({ text: 'I took my losartan', provider: 'openai-compatible' });
      expect(requests).toContain('POST /v1/audio/transcriptions');
      failing = true;
      const local = await voice.client.transcribe({ caller: voice.caller, audio, language: 'en' });
      expect(local.provider).toBe('pocketsphinx');
      expect(local.text).toContain('blood pressure');
      // Both answered: the fallback shows only as a recognition by the local engine.
      const text = await voice.metrics.text();
      expect(text).toContain('tend_voice_recognitions_total{engine="openai-compatible",outcome="ok"} 1');
      expect(text).toContain('tend_voice_recognitions_total{engine="pocketsphinx",outcome="ok"} 1');
    } finally {
      await voice.stop();
      server.close();
    }
  });
});
