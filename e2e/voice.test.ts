import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TendProcess, grpcHealth, testPorts } from './tend-process.js';

// Speaking to Tend through the gateway, on the local engines (scripts/infra.sh up voice).
const base = `http://127.0.0.1:${testPorts.gateway}`;
const enginesInstalled =
  spawnSync('sh', ['-c', 'command -v pocketsphinx_continuous && command -v espeak-ng']).status === 0;
let tend: TendProcess;

/** A sentence spoken by eSpeak NG's US voice, as a WAV file. */
function speak(text: string, voice = 'en-us'): Buffer {
  const result = spawnSync('espeak-ng', ['-v', voice, '--stdout', text]);
  return result.stdout;
}

async function register(name: string): Promise<string> {
  const response = await fetch(`${base}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `${name}-${Date.now()}@example.test`,
      password: 'correct horse battery staple',
      displayName: name,
      timezone: 'UTC',
    }),
  });
  return ((await response.json()) as { accessToken: string }).accessToken;
}

async function post(path: string, token: string | undefined, body: string | Buffer, type: string) {
  const response = await fetch(`${base}/api/v1${path}`, {
    method: 'POST',
    headers: { ...(token && { authorization: `Bearer ${token}` }), 'content-type': type },
    body,
  });
  return response;
}

describe.runIf(enginesInstalled)('talking to Tend with your voice', () => {
  let token = '';
  let conversationId = '';

  beforeAll(async () => {
    tend = await TendProcess.start(['serve', '--target=all'], { LOG_LEVEL: 'warn' });
    await tend.waitForHttp(`${base}/readyz`);
    token = await register('Speaker');
    const medication = await post(
      '/medications',
      token,
      JSON.stringify({ name: 'Losartan', dose: 50, unit: 'mg', schedule: { times: ['08:00'] } }),
      'application/json',
    );
    expect(medication.status).toBe(201);
    conversationId = ((await (await post('/conversations', token, '{}', 'application/json')).json()) as { id: string })
      .id;
  }, 120_000);
  afterAll(async () => {
    expect(await tend?.stop()).toBe(0);
  });

  it('reports the voice service SERVING with its engines installed', async () => {
    expect(await grpcHealth(testPorts.voice, 'tend.voice.v1.VoiceService')).toBe('SERVING');
  });

  it("transcribes speech and hears the person's own medication name", async () => {
    const response = await post(
      '/voice/transcriptions?lang=en',
      token,
      speak('I took my losartan this morning'),
      'audio/wav',
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as { text: string; language: string; engine: string; segments: unknown[] };
    expect(body).toMatchObject({ language: 'en', engine: 'pocketsphinx' });
    expect(body.text).toContain('losartan');
    expect(body.segments.length).toBeGreaterThan(2);
  });

  it('acts on a spoken turn and answers with audio fetched once by the same person', async () => {
    const response = await post(
      `/conversations/${conversationId}/voice`,
      token,
      speak('my blood pressure is one fifty over ninety five'),
      'audio/wav',
    );
    expect(response.status).toBe(200);
    const turn = (await response.json()) as {
      transcript: string;
      reply: { text: string; actions: { tool: string; ok: boolean }[] };
      speech: { contentType: string; url: string };
    };
    expect(turn.transcript).toContain('blood pressure');
    expect(turn.reply.actions).toContainEqual({ tool: 'record_vital', ok: true });
    const audio = await fetch(`${base}${turn.speech.url}`, { headers: { authorization: `Bearer ${token}` } });
    expect(audio.status).toBe(200);
    expect(audio.headers.get('content-type')).toBe('audio/wav');
    expect(
      Buffer.from(await audio.arrayBuffer())
        .subarray(0, 4)
        .toString(),
    ).toBe('RIFF');
    const again = await fetch(`${base}${turn.speech.url}`, { headers: { authorization: `Bearer ${token}` } });
    expect(again.status).toBe(404);
    const messages = await fetch(`${base}/api/v1/conversations/${conversationId}/messages`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const items = ((await messages.json()) as { items: { role: string; text: string }[] }).items;
    expect(items.some((m) => m.text === turn.transcript)).toBe(true);
  });

  it('speaks Mandarin as Ogg/Opus and lists its voices', async () => {
    const response = await post(
      '/voice/speech',
      token,
      JSON.stringify({ text: '你的血压正常。', language: 'zh', format: 'ogg' }),
      'application/json',
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('audio/ogg');
    expect(
      Buffer.from(await response.arrayBuffer())
        .subarray(0, 4)
        .toString(),
    ).toBe('OggS');
    const voices = await fetch(`${base}/api/v1/voice/voices`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await voices.json()) as { items: { id: string; language: string }[]; recognitionLanguages: string[] };
    expect(body.items.map((v) => v.language)).toEqual(expect.arrayContaining(['en', 'zh']));
    expect(body.recognitionLanguages).toContain('en');
  });

  it('refuses bad audio with a problem naming what was wrong', async () => {
    const garbage = await post('/voice/transcriptions', token, 'this is not a wave file at all', 'audio/wav');
    expect(garbage.status).toBe(400);
    expect(await garbage.json()).toMatchObject({
      errors: [{ field: 'audio', message: expect.stringMatching(/RIFF/) }],
    });
    const flac = await post('/voice/transcriptions', token, Buffer.from('fLaC0000'), 'audio/flac');
    expect(flac.status).toBe(415);
    const silence = Buffer.concat([speak('hi').subarray(0, 44), Buffer.alloc(44_100)]);
    const silent = await post('/voice/transcriptions', token, silence, 'audio/wav');
    expect(silent.status).toBe(400);
    expect(((await silent.json()) as { detail: string }).detail).toMatch(/silent/);
    const anonymous = await post('/voice/transcriptions', undefined, speak('hello'), 'audio/wav');
    expect(anonymous.status).toBe(401);
    const huge = await fetch(`${base}/api/v1/voice/transcriptions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'audio/wav',
        'content-length': String(11 * 1024 * 1024),
      },
      body: Buffer.alloc(16),
    }).catch(() => undefined);
    if (huge) expect(huge.status).toBe(413);
  });
});
