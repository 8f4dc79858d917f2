import { Counter, Gauge, Histogram } from 'prom-client';
import { ValidationError, type Metrics } from '@tend/core';
import { EngineMissingError } from './engines/engine.js';
import { VoiceBusyError } from './work-pool.js';

/** How one recognition or synthesis ended, as the metrics label it. */
export type VoiceOutcome = 'ok' | 'invalid' | 'busy' | 'engine-missing' | 'cancelled' | 'error';

/** The engine label of work that failed before an engine answered. */
export const noEngine = 'none';

/**
 * A failure's outcome label: the caller's input (`invalid`), a full work queue (`busy`), an
 * engine not installed (`engine-missing`), the caller gone (`cancelled`), or anything else.
 */
export function voiceOutcomeOf(error: unknown, signal?: AbortSignal): VoiceOutcome {
  if (error instanceof ValidationError) return 'invalid';
  if (error instanceof VoiceBusyError) return 'busy';
  if (error instanceof EngineMissingError) return 'engine-missing';
  if (signal?.aborted) return 'cancelled';
  return 'error';
}

/** Speech work now: jobs holding a slot and jobs waiting for one. */
export interface VoiceLoad {
  readonly load: { running: number; queued: number };
}

// Recognition of a few seconds of speech takes 0.2-3 s locally; synthesis of a sentence less.
const durationBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30];

/**
 * The voice service's own series, on the process registry: recognitions and syntheses by engine
 * (pocketsphinx, espeak-ng, the provider's name, or `none` when none answered) and outcome, how
 * long they took, the work queue's depth, and the requests refused because it was full. The RED
 * row of `tend_requests_total` sees only gRPC calls; a stream carries many recognitions, and a
 * provider falling back to the local engine is an `ok` there, visible only here by engine.
 */
export class VoiceMetrics {
  static readonly #byRegistry = new WeakMap<Metrics, VoiceMetrics>();
  readonly #pools = new Set<VoiceLoad>();
  readonly recognitions: Counter<'engine' | 'outcome'>;
  readonly syntheses: Counter<'engine' | 'outcome'>;
  readonly recognitionSeconds: Histogram<'engine' | 'outcome'>;
  readonly synthesisSeconds: Histogram<'engine' | 'outcome'>;
  readonly rejections: Counter<'operation'>;

  private constructor(metrics: Metrics) {
    const pools = this.#pools;
    const sum = (part: 'running' | 'queued') => [...pools].reduce((total, pool) => total + pool.load[part], 0);
    const registers = [metrics.registry];
    this.recognitions = new Counter({
      name: 'tend_voice_recognitions_total',
      help: 'Speech recognitions (one per utterance, streams included), by engine and outcome.',
      labelNames: ['engine', 'outcome'] as const,
      registers,
    });
    this.syntheses = new Counter({
      name: 'tend_voice_syntheses_total',
      help: 'Speech syntheses (one per request, all its sentences), by engine and outcome.',
      labelNames: ['engine', 'outcome'] as const,
      registers,
    });
    this.recognitionSeconds = new Histogram({
      name: 'tend_voice_recognition_seconds',
      help: 'Time of one recognition, decoding and waiting for a slot included, by engine and outcome.',
      labelNames: ['engine', 'outcome'] as const,
      buckets: durationBuckets,
      registers,
    });
    this.synthesisSeconds = new Histogram({
      name: 'tend_voice_synthesis_seconds',
      help: 'Time of one synthesis, encoding and waiting for a slot included, by engine and outcome.',
      labelNames: ['engine', 'outcome'] as const,
      buckets: durationBuckets,
      registers,
    });
    this.rejections = new Counter({
      name: 'tend_voice_rejections_total',
      help: 'Speech work refused because the work queue was full (RESOURCE_EXHAUSTED), by operation.',
      labelNames: ['operation'] as const,
      registers,
    });
    new Gauge({
      name: 'tend_voice_queue_depth',
      help: 'Speech jobs waiting for a slot now.',
      registers,
      collect() {
        this.set(sum('queued'));
      },
    });
    new Gauge({
      name: 'tend_voice_jobs_running',
      help: 'Speech jobs holding a slot now (at most the configured concurrency).',
      registers,
      collect() {
        this.set(sum('running'));
      },
    });
  }

  /** The series of a registry, made once (several voice services in one process share them). */
  static of(metrics: Metrics): VoiceMetrics {
    let found = VoiceMetrics.#byRegistry.get(metrics);
    if (!found) {
      found = new VoiceMetrics(metrics);
      VoiceMetrics.#byRegistry.set(metrics, found);
    }
    return found;
  }

  /** Adds a work pool to the queue-depth and running gauges; returns a function that removes it. */
  watch(pool: VoiceLoad): () => void {
    this.#pools.add(pool);
    return () => this.#pools.delete(pool);
  }

  /** Counts one recognition that ended with `outcome` after `ms`. */
  recognized(engine: string, outcome: VoiceOutcome, ms: number): void {
    this.recognitions.inc({ engine, outcome });
    this.recognitionSeconds.observe({ engine, outcome }, ms / 1000);
    if (outcome === 'busy') this.rejections.inc({ operation: 'recognition' });
  }

  /** Counts one synthesis that ended with `outcome` after `ms`. */
  synthesized(engine: string, outcome: VoiceOutcome, ms: number): void {
    this.syntheses.inc({ engine, outcome });
    this.synthesisSeconds.observe({ engine, outcome }, ms / 1000);
    if (outcome === 'busy') this.rejections.inc({ operation: 'synthesis' });
  }
}
