/**
 * Microphone samples (floats in −1…1, blocks of any size) cut into fixed frames of 16-bit PCM,
 * the format the hands-free turn on `/ws` takes: the server finds the end of speech in it.
 */
export class PcmFramer {
  readonly #frame: Int16Array;
  #filled = 0;

  /** @param frameSamples samples per frame (100 ms at 16 kHz is 1,600) */
  constructor(frameSamples: number) {
    this.#frame = new Int16Array(frameSamples);
  }

  /** Adds a block; returns the frames it completed, each a copy the caller may keep. */
  push(block: Float32Array): Int16Array[] {
    const frames: Int16Array[] = [];
    for (const sample of block) {
      const clamped = Math.max(-1, Math.min(1, sample));
      this.#frame[this.#filled++] = Math.round(clamped < 0 ? clamped * 0x8000 : clamped * 0x7fff);
      if (this.#filled === this.#frame.length) {
        frames.push(this.#frame.slice());
        this.#filled = 0;
      }
    }
    return frames;
  }
}

/** The level of a frame in dBFS (−100 for digital silence). */
export function levelDbfs(frame: Int16Array): number {
  let sum = 0;
  for (const sample of frame) sum += sample * sample;
  const rms = Math.sqrt(sum / Math.max(1, frame.length)) / 32768;
  return rms === 0 ? -100 : 20 * Math.log10(rms);
}

/**
 * Decides barge-in while Tend is speaking: the person talking over the answer for `frames`
 * frames in a row, louder than `thresholdDbfs`. A single loud frame (a cough, a door) is not
 * enough; the browser's echo cancellation keeps Tend's own voice below the threshold.
 */
export class BargeInDetector {
  #run = 0;

  constructor(
    private readonly thresholdDbfs = -35,
    private readonly frames = 3,
  ) {}

  /** Feeds one frame; true once speech has gone on long enough to interrupt. */
  push(frame: Int16Array): boolean {
    this.#run = levelDbfs(frame) > this.thresholdDbfs ? this.#run + 1 : 0;
    return this.#run >= this.frames;
  }

  reset(): void {
    this.#run = 0;
  }
}
