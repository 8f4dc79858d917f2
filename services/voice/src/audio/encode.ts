import { UnavailableError } from '@tend/core';
import type { Pcm } from './audio-errors.js';
import { findFfmpeg, runProcess } from './ffmpeg.js';
import { encodeWav } from './wav.js';

/** Formats speech can be returned in. */
export const speechFormats = ['wav', 'ogg', 'mp3'] as const;
export type SpeechFormat = (typeof speechFormats)[number];

/** The media type of each speech format. */
export const speechContentType: Record<SpeechFormat, string> = {
  wav: 'audio/wav',
  ogg: 'audio/ogg',
  mp3: 'audio/mpeg',
};

/** Encodes synthesized PCM as WAV (here) or Ogg/Opus and MP3 (ffmpeg's libopus and LAME). */
export async function encodeSpeech(pcm: Pcm, format: SpeechFormat, signal?: AbortSignal): Promise<Uint8Array> {
  const wav = encodeWav(pcm);
  if (format === 'wav') return wav;
  const ffmpeg = findFfmpeg();
  if (!ffmpeg) throw new UnavailableError('ffmpeg', `encoding ${format} needs ffmpeg, which is not installed`);
  const codec =
    format === 'ogg'
      ? ['-c:a', 'libopus', '-b:a', '32k', '-f', 'ogg']
      : ['-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3'];
  const result = await runProcess(
    ffmpeg,
    ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'wav', '-i', 'pipe:0', ...codec, 'pipe:1'],
    wav,
    { signal },
  );
  if (result.code !== 0) throw new Error(`ffmpeg could not encode ${format}: ${result.stderr.slice(0, 200)}`);
  return new Uint8Array(result.stdout);
}
