import { describe, expect, it } from 'vitest';
import { Metrics, ValidationError } from '@tend/core';
import { EngineMissingError } from './engines/engine.js';
import { VoiceMetrics, voiceOutcomeOf } from './voice-metrics.js';
import { VoiceBusyError } from './work-pool.js';

describe('voice metrics', () => {
  it('labels a failure by whose fault it is: input, a full queue, a missing engine, a caller gone, or ours', () => {
    expect(voiceOutcomeOf(ValidationError.field('audio', 'is empty'))).toBe('invalid');
    expect(voiceOutcomeOf(new VoiceBusyError(1))).toBe('busy');
    expect(voiceOutcomeOf(new EngineMissingError('a Mandarin recognition model'))).toBe('engine-missing');
    const gone = new AbortController();
    gone.abort();
    expect(voiceOutcomeOf(new Error('aborted'), gone.signal)).toBe('cancelled');
    expect(voiceOutcomeOf(new Error('engine crashed'), new AbortController().signal)).toBe('error');
  });

  it('counts work by engine and outcome, and a refusal for every busy answer', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const voice = VoiceMetrics.of(metrics);
    voice.recognized('pocketsphinx', 'ok', 800);
    voice.recognized('none', 'busy', 1);
    voice.synthesized('espeak-ng', 'ok', 120);
    const text = await metrics.text();
    expect(text).toContain('tend_voice_recognitions_total{engine="pocketsphinx",outcome="ok"} 1');
    expect(text).toContain('tend_voice_recognitions_total{engine="none",outcome="busy"} 1');
    expect(text).toContain('tend_voice_rejections_total{operation="recognition"} 1');
    expect(text).toContain('tend_voice_syntheses_total{engine="espeak-ng",outcome="ok"} 1');
    expect(text).toContain('tend_voice_recognition_seconds_bucket{le="1",engine="pocketsphinx",outcome="ok"} 1');
    expect(text).toContain('tend_voice_synthesis_seconds_sum{engine="espeak-ng",outcome="ok"} 0.12');
  });

  it('shows the queue of every watched pool, and forgets a pool once unwatched', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const voice = VoiceMetrics.of(metrics);
    expect(VoiceMetrics.of(metrics)).toBe(voice);
    const unwatch = voice.watch({ load: { running: 2, queued: 3 } });
    voice.watch({ load: { running: 1, queued: 1 } });
    expect(await metrics.text()).toMatch(/tend_voice_queue_depth 4\n[\s\S]*tend_voice_jobs_running 3\n/);
    unwatch();
    expect(await metrics.text()).toContain('tend_voice_queue_depth 1\n');
  });
});
