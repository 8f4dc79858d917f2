import { UnavailableError } from '@tend/core';
import { badAudio, durationOf, engineSampleRate, type Pcm } from './audio-errors.js';
import { findFfmpeg, runProcess } from './ffmpeg.js';
import { resample } from './resample.js';
import { decodeWav, looksLikeWav } from './wav.js';

/** The audio types accepted, by their media type. */
export const acceptedAudioTypes = ['audio/wav', 'audio/webm', 'audio/ogg', 'audio/mpeg', 'audio/pcm'] as const;
export type AudioType = (typeof acceptedAudioTypes)[number];

/** Limits on one piece of audio. */
export interface AudioLimits {
  /** @default 60 */
  maxSeconds: number;
  /** @default 10 MiB */
  maxBytes: number;
}

export const defaultAudioLimits: AudioLimits = { maxSeconds: 60, maxBytes: 10 * 1024 * 1024 };

/**
 * Turns a media type as clients send it (`audio/x-wav`, `audio/webm;codecs=opus`) into one of
 * the accepted types, or undefined.
 */
export function audioTypeOf(contentType: string | undefined): AudioType | undefined {
  const base = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  switch (base) {
    case 'audio/wav':
    case 'audio/wave':
    case 'audio/x-wav':
    case 'audio/vnd.wave':
      return 'audio/wav';
    case 'audio/webm':
    case 'video/webm':
      return 'audio/webm';
    case 'audio/ogg':
    case 'audio/opus':
    case 'application/ogg':
      return 'audio/ogg';
    case 'audio/mpeg':
    case 'audio/mp3':
      return 'audio/mpeg';
    case 'audio/pcm':
    case 'audio/l16':
      return 'audio/pcm';
    default:
      return undefined;
  }
}

/** Containers ffmpeg is told to expect, so a mislabelled file fails instead of being guessed. */
const ffmpegFormats: Record<Exclude<AudioType, 'audio/wav' | 'audio/pcm'>, string> = {
  'audio/webm': 'webm',
  'audio/ogg': 'ogg',
  'audio/mpeg': 'mp3',
};

/**
 * Decodes audio of `type` into 16 kHz mono PCM for the recognizer, refusing what is empty,
 * unreadable, too long or silent with a message naming the problem. WAV and raw PCM are read
 * here; WebM/Opus, Ogg/Opus and MP3 by ffmpeg (killed if it would produce more than the limit).
 */
export async function decodeAudio(
  bytes: Uint8Array,
  type: AudioType,
  options: { limits?: AudioLimits; pcmSampleRate?: number; signal?: AbortSignal } = {},
): Promise<Pcm> {
  const limits = options.limits ?? defaultAudioLimits;
  if (bytes.length === 0) throw badAudio('is empty');
  if (bytes.length > limits.maxBytes) throw badAudio(`is larger than ${limits.maxBytes} bytes`);
  let pcm: Pcm;
  if (type === 'audio/pcm') {
    // 8000 to 192000 Hz, as the contract requires of AudioFormat.sample_rate_hz.
    const rate = options.pcmSampleRate ?? engineSampleRate;
    const even = bytes.subarray(0, bytes.length - (bytes.length % 2));
    const copy = new Uint8Array(even);
    pcm = { samples: new Int16Array(copy.buffer, 0, copy.length / 2), sampleRate: rate };
  } else if (type === 'audio/wav') {
    if (!looksLikeWav(bytes)) throw badAudio('is labelled audio/wav but is not a RIFF/WAVE file');
    pcm = decodeWav(bytes);
  } else {
    pcm = await decodeWithFfmpeg(bytes, ffmpegFormats[type], type, limits, options.signal);
  }
  if (durationOf(pcm) > limits.maxSeconds) {
    throw badAudio(`is ${Math.round(durationOf(pcm))} s long; at most ${limits.maxSeconds} s are accepted`);
  }
  const out = resample(pcm, engineSampleRate);
  if (out.samples.length < engineSampleRate / 10) throw badAudio('is shorter than 0.1 s');
  if (isSilent(out)) throw badAudio('is silent: no speech was heard');
  return out;
}

/** True when no stretch of the audio rises above a whisper (-50 dBFS RMS over 30 ms windows). */
export function isSilent(pcm: Pcm): boolean {
  const window = Math.max(1, Math.round(pcm.sampleRate * 0.03));
  const threshold = 32768 * 10 ** (-50 / 20);
  for (let start = 0; start < pcm.samples.length; start += window) {
    const end = Math.min(pcm.samples.length, start + window);
    let sum = 0;
    for (let i = start; i < end; i++) sum += pcm.samples[i]! * pcm.samples[i]!;
    if (Math.sqrt(sum / (end - start)) > threshold) return false;
  }
  return true;
}

async function decodeWithFfmpeg(
  bytes: Uint8Array,
  format: string,
  type: AudioType,
  limits: AudioLimits,
  signal: AbortSignal | undefined,
): Promise<Pcm> {
  const ffmpeg = findFfmpeg();
  if (!ffmpeg) throw new UnavailableError('ffmpeg', `decoding ${type} needs ffmpeg, which is not installed`);
  // One second more than allowed: enough to tell "too long" without decoding two hours.
  const maxOutputBytes = (limits.maxSeconds + 1) * engineSampleRate * 2;
  const result = await runProcess(
    ffmpeg,
    [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-f',
      format,
      '-i',
      'pipe:0',
      '-t',
      String(limits.maxSeconds + 1),
    ].concat(['-ac', '1', '-ar', String(engineSampleRate), '-f', 's16le', 'pipe:1']),
    bytes,
    { signal, maxOutputBytes: maxOutputBytes + 4096 },
  );
  if (result.code !== 0 || result.stdout.length === 0) {
    const reason = result.stderr.split('\n').find((line) => line.trim() !== '') ?? 'no audio stream';
    throw badAudio(`could not be decoded as ${type}: ${reason.trim().slice(0, 200)}`);
  }
  const copy = new Uint8Array(result.stdout.subarray(0, result.stdout.length - (result.stdout.length % 2)));
  return { samples: new Int16Array(copy.buffer, 0, copy.length / 2), sampleRate: engineSampleRate };
}
