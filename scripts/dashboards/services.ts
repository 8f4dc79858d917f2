// One dashboard per service: its RED row, then what is particular to it.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { redPanels, row, tendDashboard, timeseries } from './panels.js';

const scope = 'instance=~"$instance"';

function serviceDashboard(service: string, title: string, description: string) {
  const dashboard = tendDashboard(`tend-${service}`, `Tend / ${title}`, description).withRow(row('Requests'));
  for (const panel of redPanels(service)) dashboard.withPanel(panel);
  return dashboard;
}

const breakerPanel = (filter: string) =>
  timeseries(
    'Circuit breakers',
    'State of each breaker: 0 closed, 1 half-open, 2 open (calls fail fast), 3 isolated.',
    'short',
    [{ expr: `max by (breaker) (tend_circuit_breaker_state{${scope}${filter}})`, legend: '{{breaker}}' }],
  );

function gateway(): Dashboard {
  const gw = `service="gateway",${scope}`;
  return serviceDashboard('gateway', 'Gateway', 'The HTTP and WebSocket edge: routes, refusals and upstreams.')
    .withRow(row('Refusals and upstreams'))
    .withPanel(
      timeseries('Authentication failures', 'Requests refused as unauthenticated (401) or forbidden (403).', 'reqps', [
        {
          expr: `sum by (code) (rate(tend_requests_total{${gw},code=~"401|403"}[$__rate_interval]))`,
          legend: '{{code}}',
        },
      ]),
    )
    .withPanel(
      timeseries('Rate-limit refusals', 'Requests refused with 429 (100 per minute per person by default).', 'reqps', [
        {
          expr: `sum by (method) (rate(tend_requests_total{${gw},code="429"}[$__rate_interval]))`,
          legend: '{{method}}',
        },
      ]),
    )
    .withPanel(breakerPanel(''))
    .build();
}

function health(): Dashboard {
  return serviceDashboard('health', 'Health', 'People, medications, reminders, vitals: the health record.')
    .withRow(row('Data'))
    .withPanel(
      timeseries('Cache hit ratio', 'Share of cache look-ups answered from the cache, by cache.', 'percentunit', [
        {
          expr: `sum by (cache) (rate(tend_cache_requests_total{${scope},result="hit"}[$__rate_interval])) / sum by (cache) (rate(tend_cache_requests_total{${scope}}[$__rate_interval]))`,
          legend: '{{cache}}',
        },
      ]),
    )
    .withPanel(
      timeseries(
        'Replica lag',
        'How far each read replica is behind the primary; out of rotation past the bound (target < 100 ms).',
        's',
        [{ expr: `max by (replica) (tend_db_replica_lag_seconds{${scope}})`, legend: '{{replica}}' }],
      ),
    )
    .withPanel(
      timeseries(
        'Outbox backlog age',
        'Age of the oldest event not yet published, by schema (alert above 1 minute).',
        's',
        [{ expr: `max by (schema) (tend_outbox_oldest_pending_age_seconds{${scope}})`, legend: '{{schema}}' }],
      ),
    )
    .withPanel(
      timeseries('Events published', 'Events moved from the outboxes to the bus, by topic.', 'ops', [
        { expr: `sum by (topic) (rate(tend_events_published_total{${scope}}[$__rate_interval]))`, legend: '{{topic}}' },
      ]),
    )
    .build();
}

function conversation(): Dashboard {
  return serviceDashboard(
    'conversation',
    'Conversation',
    'Turns of the assistant: the language model and the embedded agent.',
  )
    .withRow(row('Model'))
    .withPanel(
      timeseries(
        'Turns by mode',
        'Turns the language model answered (ok) and turns handed to the embedded agent (fallback: basic mode).',
        'ops',
        [{ expr: `sum by (outcome) (rate(tend_llm_calls_total{${scope}}[$__rate_interval]))`, legend: '{{outcome}}' }],
      ),
    )
    .withPanel(
      timeseries('Model call latency P95', 'One call to the model, by model and outcome.', 's', [
        {
          expr: `histogram_quantile(0.95, sum by (model, le) (rate(tend_llm_call_duration_seconds_bucket{${scope}}[$__rate_interval])))`,
          legend: '{{model}}',
        },
      ]),
    )
    .withPanel(
      timeseries('Tokens per second', 'Input and output tokens of model calls.', 'short', [
        {
          expr: `sum by (model, kind) (rate(tend_llm_tokens_total{${scope}}[$__rate_interval]))`,
          legend: '{{model}} {{kind}}',
        },
      ]),
    )
    .withPanel(
      timeseries('Model calls by outcome', 'ok, error, timeout.', 'ops', [
        {
          expr: `sum by (outcome) (rate(tend_llm_call_duration_seconds_count{${scope}}[$__rate_interval]))`,
          legend: '{{outcome}}',
        },
      ]),
    )
    .build();
}

function voice(): Dashboard {
  return serviceDashboard('voice', 'Voice', 'Speech recognition and synthesis.')
    .withRow(row('Speech'))
    .withPanel(
      timeseries(
        'Recognitions by engine and outcome',
        'One per utterance, streams included. A provider that fails shows as recognitions by the local engine.',
        'ops',
        [
          {
            expr: `sum by (engine, outcome) (rate(tend_voice_recognitions_total{${scope}}[$__rate_interval]))`,
            legend: '{{engine}} {{outcome}}',
          },
        ],
      ),
    )
    .withPanel(
      timeseries('Syntheses by engine and outcome', 'One per request, all its sentences.', 'ops', [
        {
          expr: `sum by (engine, outcome) (rate(tend_voice_syntheses_total{${scope}}[$__rate_interval]))`,
          legend: '{{engine}} {{outcome}}',
        },
      ]),
    )
    .withPanel(
      timeseries('Recognition and synthesis P95', 'Successful work, decoding and queueing included.', 's', [
        {
          expr: `histogram_quantile(0.95, sum by (engine, le) (rate(tend_voice_recognition_seconds_bucket{${scope},outcome="ok"}[$__rate_interval])))`,
          legend: 'recognition {{engine}}',
        },
        {
          expr: `histogram_quantile(0.95, sum by (engine, le) (rate(tend_voice_synthesis_seconds_bucket{${scope},outcome="ok"}[$__rate_interval])))`,
          legend: 'synthesis {{engine}}',
        },
      ]),
    )
    .withPanel(
      timeseries('Work queue', 'Speech jobs running and waiting for a slot.', 'short', [
        { expr: `sum(tend_voice_jobs_running{${scope}})`, legend: 'running' },
        { expr: `sum(tend_voice_queue_depth{${scope}})`, legend: 'waiting' },
      ]),
    )
    .withPanel(
      timeseries('Refused: queue full', 'Requests answered RESOURCE_EXHAUSTED because the queue was full.', 'ops', [
        {
          expr: `sum by (operation) (rate(tend_voice_rejections_total{${scope}}[$__rate_interval]))`,
          legend: '{{operation}}',
        },
      ]),
    )
    .withPanel(breakerPanel(',breaker="voice-provider"'))
    .build();
}

function notification(): Dashboard {
  return serviceDashboard(
    'notification',
    'Notification',
    'Reminders and their delivery by push, SMS, e-mail and in-app.',
  )
    .withRow(row('Reminders and deliveries'))
    .withPanel(
      timeseries('Reminders by outcome', 'Reminders handled by the scheduler: fired, late, missed, cancelled.', 'ops', [
        { expr: `sum by (outcome) (rate(tend_reminders_total{${scope}}[$__rate_interval]))`, legend: '{{outcome}}' },
      ]),
    )
    .withPanel(
      timeseries('Reminder lateness P95', 'From due to written (alert above 1 minute).', 's', [
        {
          expr: `histogram_quantile(0.95, sum by (kind, le) (rate(tend_reminder_lateness_seconds_bucket{${scope}}[$__rate_interval])))`,
          legend: '{{kind}}',
        },
      ]),
    )
    .withPanel(
      timeseries('Deliveries by channel and status', 'Delivery failures per channel show as failed.', 'ops', [
        {
          expr: `sum by (channel, status) (rate(tend_notification_deliveries_total{${scope}}[$__rate_interval]))`,
          legend: '{{channel}} {{status}}',
        },
      ]),
    )
    .withPanel(
      timeseries('Consumer lag', 'Events waiting for each consumer group (alert above 1000).', 'short', [
        { expr: `sum by (topic, group) (tend_events_consumer_lag{${scope}})`, legend: '{{group}} on {{topic}}' },
      ]),
    )
    .build();
}

function external(): Dashboard {
  return serviceDashboard('external', 'External', 'Weather, air quality and calendars from third-party providers.')
    .withRow(row('Providers'))
    .withPanel(
      timeseries('Provider calls by outcome', 'Calls to third-party providers, after retries.', 'ops', [
        {
          expr: `sum by (provider, outcome) (rate(tend_external_provider_calls_total{${scope}}[$__rate_interval]))`,
          legend: '{{provider}} {{outcome}}',
        },
      ]),
    )
    .withPanel(
      timeseries('Provider latency P95', 'Retries included.', 's', [
        {
          expr: `histogram_quantile(0.95, sum by (provider, le) (rate(tend_external_provider_call_seconds_bucket{${scope}}[$__rate_interval])))`,
          legend: '{{provider}}',
        },
      ]),
    )
    .withPanel(
      timeseries('Answers by freshness', 'fresh, cached, stale (provider down, cache served) or unavailable.', 'ops', [
        {
          expr: `sum by (freshness) (rate(tend_external_answers_total{${scope}}[$__rate_interval]))`,
          legend: '{{freshness}}',
        },
      ]),
    )
    .withPanel(breakerPanel(''))
    .build();
}

/** Every per-service dashboard, by file name. */
export function serviceDashboards(): Record<string, Dashboard> {
  return {
    'tend-gateway.json': gateway(),
    'tend-health.json': health(),
    'tend-conversation.json': conversation(),
    'tend-voice.json': voice(),
    'tend-notification.json': notification(),
    'tend-external.json': external(),
  };
}
