// The overview: rate, errors and duration of every service side by side, and how fast each spends
// its SLO budgets (the recording rules of deploy/prometheus/alerts.yml).
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { row, serverErrorCodes, stat, tendDashboard, timeseries } from './panels.js';

export function overviewDashboard(): Dashboard {
  const scope = 'instance=~"$instance"';
  return tendDashboard('tend-overview', 'Tend / Overview', 'Every Tend service at a glance: RED and SLO burn.')
    .withRow(row('Rate, errors, duration (per service)'))
    .withPanel(
      timeseries('Requests per second', 'Requests served, by service.', 'reqps', [
        { expr: `sum by (service) (rate(tend_requests_total{${scope}}[$__rate_interval]))`, legend: '{{service}}' },
      ]),
    )
    .withPanel(
      timeseries('Server error ratio', 'Failures through the service’s own fault; alert above 1 %.', 'percentunit', [
        {
          expr: `sum by (service) (rate(tend_requests_total{${scope},${serverErrorCodes}}[$__rate_interval])) / sum by (service) (rate(tend_requests_total{${scope}}[$__rate_interval]))`,
          legend: '{{service}}',
        },
      ]),
    )
    .withPanel(
      timeseries('Latency P95', 'Alert above 5 s.', 's', [
        {
          expr: `histogram_quantile(0.95, sum by (service, le) (rate(tend_request_duration_seconds_bucket{${scope}}[$__rate_interval])))`,
          legend: '{{service}}',
        },
      ]),
    )
    .withPanel(
      timeseries('Latency average', 'Alert above 2 s.', 's', [
        {
          expr: `sum by (service) (rate(tend_request_duration_seconds_sum{${scope}}[$__rate_interval])) / sum by (service) (rate(tend_request_duration_seconds_count{${scope}}[$__rate_interval]))`,
          legend: '{{service}}',
        },
      ]),
    )
    .withRow(row('SLOs: availability 99.9 %, 95 % of requests under 5 s'))
    .withPanel(
      timeseries(
        'Availability budget burn rate (1 h)',
        'Error ratio over the last hour divided by the 0.1 % budget: 1 spends the 30-day budget in 30 days; the fast-burn page fires at 14.4.',
        'short',
        [{ expr: 'tend:request_error_ratio:rate1h / 0.001', legend: '{{service}}' }],
      ),
    )
    .withPanel(
      timeseries(
        'Latency budget burn rate (1 h)',
        'Share of requests slower than 5 s over the last hour divided by the 5 % budget; the fast-burn page fires at 14.4.',
        'short',
        [{ expr: 'tend:request_slow_ratio:rate1h / 0.05', legend: '{{service}}' }],
      ),
    )
    .withPanel(
      timeseries('Availability over 3 days', 'Objective 99.9 %.', 'percentunit', [
        { expr: '1 - tend:request_error_ratio:rate3d', legend: '{{service}}' },
      ]),
    )
    .withPanel(
      stat('Alerts firing', 'Tend alerts firing now (Alertmanager routes them by severity).', 'short', {
        expr: 'count(ALERTS{alertstate="firing"}) or vector(0)',
        legend: 'firing',
      }),
    )
    .build();
}
