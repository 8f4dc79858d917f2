/** How the voice activity detector decides. */
export interface VadOptions {
  /** Sample rate of the audio fed in. @default 16000 */
  sampleRate?: number;
  /** Analysis frame. @default 30 */
  frameMs?: number;
  /** Energy above the noise floor, in dB, that counts as voice. @default 12 */
  marginDb?: number;
  /** Absolute floor below which nothing is voice (dBFS). @default -45 */
  minDbfs?: number;
  /** Voiced time needed before speech is said to have started. @default 90 */
  startMs?: number;
  /** Quiet time after speech before it is said to have ended: the hangover. @default 600 */
  hangoverMs?: number;
}

/** What the detector saw in a chunk. */
export type VadEvent = { type: 'speech-start'; atMs: number } | { type: 'speech-end'; atMs: number };

/**
 * An energy-based voice activity detector with hangover, for hands-free turns: speech starts
 * after a short run of frames louder than the tracked noise floor, and ends once it has been
 * quiet for the hangover. Energy is what a 2-core machine can afford per frame with no model
 * weights (Silero's are not in a registry package its authors publish for Node).
 */
export class EnergyVad {
  readonly #frame: number;
  readonly #margin: number;
  readonly #min: number;
  readonly #startFrames: number;
  readonly #hangoverFrames: number;
  readonly #frameMs: number;
  #pending: number[] = [];
  #noiseDb = -60;
  #voicedRun = 0;
  #quietRun = 0;
  #frames = 0;
  #voicedFrames = 0;
  #speaking = false;

  constructor(options: VadOptions = {}) {
    const rate = options.sampleRate ?? 16_000;
    this.#frameMs = options.frameMs ?? 30;
    this.#frame = Math.round((rate * this.#frameMs) / 1000);
    this.#margin = options.marginDb ?? 12;
    this.#min = options.minDbfs ?? -45;
    this.#startFrames = Math.max(1, Math.round((options.startMs ?? 90) / this.#frameMs));
    this.#hangoverFrames = Math.max(1, Math.round((options.hangoverMs ?? 600) / this.#frameMs));
  }

  /** True between speech-start and speech-end. */
  get speaking(): boolean {
    return this.#speaking;
  }

  /** How long it has been quiet since the last voiced frame, while speaking; 0 otherwise. */
  get pauseMs(): number {
    return this.#speaking ? this.#quietRun * this.#frameMs : 0;
  }

  /** Voiced frames seen so far: a change tells that speech went on since it was last read. */
  get voicedFrames(): number {
    return this.#voicedFrames;
  }

  /** Feeds samples; returns what started or ended within them. */
  push(samples: Int16Array): VadEvent[] {
    const events: VadEvent[] = [];
    for (const sample of samples) {
      this.#pending.push(sample);
      if (this.#pending.length === this.#frame) {
        const event = this.#analyse(this.#pending);
        this.#pending = [];
        if (event) events.push(event);
      }
    }
    return events;
  }

  #analyse(frame: number[]): VadEvent | undefined {
    this.#frames++;
    let sum = 0;
    for (const s of frame) sum += s * s;
    const db = 20 * Math.log10(Math.sqrt(sum / frame.length) / 32768 + 1e-9);
    const voiced = db > this.#min && db > this.#noiseDb + this.#margin;
    // The floor follows quiet frames quickly and loud ones slowly, so speech does not raise it.
    if (!voiced) this.#noiseDb += (db - this.#noiseDb) * (db < this.#noiseDb ? 0.5 : 0.05);
    const atMs = this.#frames * this.#frameMs;
    if (voiced) {
      this.#voicedFrames++;
      this.#voicedRun++;
      this.#quietRun = 0;
      if (!this.#speaking && this.#voicedRun >= this.#startFrames) {
        this.#speaking = true;
        return { type: 'speech-start', atMs: atMs - this.#voicedRun * this.#frameMs };
      }
    } else {
      this.#voicedRun = 0;
      this.#quietRun++;
      if (this.#speaking && this.#quietRun >= this.#hangoverFrames) {
        this.#speaking = false;
        return { type: 'speech-end', atMs };
      }
    }
    return undefined;
  }
}
