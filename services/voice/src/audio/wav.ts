import { badAudio, type Pcm } from './audio-errors.js';

/** A RIFF/WAVE file's format chunk, as far as decoding needs it. */
interface WavFormat {
  format: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
}

const pcmFormat = 1;
const floatFormat = 3;
const extensibleFormat = 0xfffe;

/** True when `bytes` start like a RIFF/WAVE file. */
export function looksLikeWav(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WAVE';
}

/**
 * Decodes a WAV file (integer PCM of 8/16/24/32 bits or 32-bit float, any channel count) into
 * mono 16-bit samples at the file's own rate. Anything else is refused with a message naming
 * what was wrong, so the caller can fix it: this runs on untrusted bytes.
 */
export function decodeWav(bytes: Uint8Array): Pcm {
  if (!looksLikeWav(bytes)) throw badAudio('is not a RIFF/WAVE file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let format: WavFormat | undefined;
  let data: Uint8Array | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = ascii(bytes, offset, 4);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    // Streaming writers put 0 or 0xFFFFFFFF in the data size: the data runs to the end.
    const end =
      id === 'data' && (size === 0 || size === 0xffffffff) ? bytes.length : Math.min(bytes.length, body + size);
    if (id === 'fmt ') {
      if (size < 16) throw badAudio('has a truncated WAVE format chunk');
      format = {
        format: view.getUint16(body, true),
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        bitsPerSample: view.getUint16(body + 14, true),
      };
      if (format.format === extensibleFormat && size >= 26) format.format = view.getUint16(body + 24, true);
    } else if (id === 'data') {
      data = bytes.subarray(body, end);
      break;
    }
    offset = body + size + (size % 2);
  }
  if (!format) throw badAudio('has no WAVE format chunk');
  if (!data) throw badAudio('has no WAVE data chunk');
  const { channels, sampleRate, bitsPerSample } = format;
  if (format.format !== pcmFormat && format.format !== floatFormat) {
    throw badAudio(`uses WAVE codec ${format.format}; send PCM or 32-bit float WAV, or Ogg/Opus, WebM/Opus or MP3`);
  }
  if (channels < 1 || channels > 8) throw badAudio(`has ${channels} channels; 1 to 8 are supported`);
  if (sampleRate < 8000 || sampleRate > 192_000) {
    throw badAudio(`has a sample rate of ${sampleRate} Hz; 8000 to 192000 Hz are supported`);
  }
  const validBits = format.format === floatFormat ? [32] : [8, 16, 24, 32];
  if (!validBits.includes(bitsPerSample)) throw badAudio(`has ${bitsPerSample}-bit samples, which cannot be read`);
  const frameBytes = (bitsPerSample / 8) * channels;
  const frames = Math.floor(data.length / frameBytes);
  const samples = new Int16Array(frames);
  const dataView = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const read = sampleReader(format.format, bitsPerSample, dataView);
  for (let frame = 0; frame < frames; frame++) {
    let sum = 0;
    for (let channel = 0; channel < channels; channel++)
      sum += read(frame * frameBytes + (channel * bitsPerSample) / 8);
    samples[frame] = clamp16(Math.round((sum / channels) * 32767));
  }
  return { samples, sampleRate };
}

/** Wraps mono 16-bit PCM in a WAV header. */
export function encodeWav(pcm: Pcm): Uint8Array {
  const dataBytes = pcm.samples.length * 2;
  const out = new Uint8Array(44 + dataBytes);
  const view = new DataView(out.buffer);
  const put = (offset: number, text: string) => {
    for (let i = 0; i < text.length; i++) out[offset + i] = text.charCodeAt(i);
  };
  put(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  put(8, 'WAVE');
  put(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, pcmFormat, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, pcm.sampleRate, true);
  view.setUint32(28, pcm.sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  put(36, 'data');
  view.setUint32(40, dataBytes, true);
  for (let i = 0; i < pcm.samples.length; i++) view.setInt16(44 + i * 2, pcm.samples[i]!, true);
  return out;
}

/** Reads one sample as a float in [-1, 1]. */
function sampleReader(format: number, bits: number, view: DataView): (offset: number) => number {
  if (format === floatFormat) return (o) => Math.max(-1, Math.min(1, view.getFloat32(o, true)));
  switch (bits) {
    case 8:
      return (o) => (view.getUint8(o) - 128) / 128;
    case 16:
      return (o) => view.getInt16(o, true) / 32768;
    case 24:
      return (o) =>
        ((view.getUint8(o + 2) << 24) | (view.getUint8(o + 1) << 16) | (view.getUint8(o) << 8)) / 2147483648;
    default:
      return (o) => view.getInt32(o, true) / 2147483648;
  }
}

function clamp16(value: number): number {
  return value > 32767 ? 32767 : value < -32768 ? -32768 : value;
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}
