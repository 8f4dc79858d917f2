import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/errors.js';
import { createLogger } from '../logging/logger.js';
import { backoffDelay, outageProbeBackoff } from './backoff.js';
import { createEventBus } from './create-event-bus.js';
import { parseKafkaBrokers } from './kafka-event-bus.js';

const logger = createLogger({ level: 'silent' });

describe('createEventBus', () => {
  it('uses the in-process bus when no brokers are configured', () => {
    expect(createEventBus({ logger }).kind).toBe('memory');
    expect(createEventBus({ logger, brokers: '' }).kind).toBe('memory');
    expect(createEventBus({ logger, brokers: [] }).kind).toBe('memory');
  });

  it('uses Kafka when brokers are configured, without connecting before start', () => {
    const bus = createEventBus({ logger, brokers: 'kafka-0.kafka:9092, kafka-1.kafka:9092' });
    expect(bus.kind).toBe('kafka');
    expect(bus.state).toBe('new');
  });

  it('fails at boot on a malformed KAFKA_BROKERS, naming the variable', () => {
    const attempt = () => createEventBus({ logger, brokers: 'kafka-0:9092,kafka-1' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/KAFKA_BROKERS.*"kafka-1"/);
  });
});

describe('parseKafkaBrokers', () => {
  it('accepts host names, IPv4 and bracketed IPv6 with ports', () => {
    expect(parseKafkaBrokers('127.0.0.1:59092,[::1]:9092, kafka:9092 ')).toEqual([
      '127.0.0.1:59092',
      '[::1]:9092',
      'kafka:9092',
    ]);
  });

  it.each(['kafka', 'kafka:', 'kafka:0', 'kafka:70000', 'http://kafka:9092', ':9092', ',,'])('rejects %j', (value) => {
    expect(() => parseKafkaBrokers(value)).toThrow(ConfigError);
  });
});

describe('backoffDelay', () => {
  it('grows exponentially, with jitter in the upper half, up to the ceiling', () => {
    const backoff = { initialDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(1, backoff, () => 0)).toBe(50);
    expect(backoffDelay(1, backoff, () => 1)).toBe(100);
    expect(backoffDelay(3, backoff, () => 1)).toBe(400);
    expect(backoffDelay(50, backoff, () => 1)).toBe(1000);
  });
});

describe('outageProbeBackoff', () => {
  it('probes a down broker or database at least every 2 s, however long the outage has lasted', () => {
    const waits = Array.from({ length: 200 }, (_, i) => backoffDelay(i + 1, outageProbeBackoff, () => 1));
    expect(Math.max(...waits)).toBe(2_000);
    // Still backing off at first: a blip is retried fast, a long outage not in a tight loop.
    expect(waits.slice(0, 4)).toEqual([100, 200, 400, 800]);
  });
});
