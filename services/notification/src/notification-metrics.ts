import { Counter, Histogram } from 'prom-client';
import type { Metrics } from '@tend/core';

/**
 * The notification service's own metrics, on the process registry: how late reminders fire, what
 * became of them, and each channel's deliveries, so an operator sees a backlog or a failing
 * provider at /metrics.
 */
export class NotificationMetrics {
  readonly reminderLateness: Histogram<'kind'>;
  readonly reminders: Counter<'kind' | 'outcome'>;
  readonly deliveries: Counter<'channel' | 'status'>;

  constructor(metrics: Metrics) {
    const registers = [metrics.registry];
    this.reminderLateness = new Histogram({
      name: 'tend_reminder_lateness_seconds',
      help: 'Time from a reminder being due to its notification being written, by reminder kind.',
      labelNames: ['kind'] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600],
      registers,
    });
    this.reminders = new Counter({
      name: 'tend_reminders_total',
      help: 'Reminders handled by the scheduler, by kind and outcome (fired, late, missed, cancelled).',
      labelNames: ['kind', 'outcome'] as const,
      registers,
    });
    this.deliveries = new Counter({
      name: 'tend_notification_deliveries_total',
      help: 'Notification deliveries, by channel and resulting status.',
      labelNames: ['channel', 'status'] as const,
      registers,
    });
  }
}
