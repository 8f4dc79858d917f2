// Small builders over the Grafana Foundation SDK that every Tend dashboard shares: the Prometheus
// datasource variable, time series and stat panels with Tend's defaults, and the RED row of a service.
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  DashboardBuilder,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  RowBuilder,
  VariableRefresh,
  VariableSort,
  type Panel,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

/** Every panel reads the datasource the `datasource` variable names (provisioned as uid `prometheus`). */
const datasource = { type: 'prometheus', uid: '${datasource}' };

/** The error codes the alerts count (deploy/prometheus/alerts.yml): server faults, not callers' mistakes. */
export const serverErrorCodes = 'code=~"5..|internal|unknown|unavailable|deadline_exceeded|data_loss",code!="501"';

/** One query of a panel: PromQL and the legend of its series. */
export interface Query {
  expr: string;
  legend: string;
}

function target(query: Query, refId: string): DataqueryBuilder {
  return new DataqueryBuilder().datasource(datasource).expr(query.expr).legendFormat(query.legend).refId(refId);
}

const refIds = 'ABCDEFGHIJ';

/** A time series panel; `unit` is a Grafana unit id (`reqps`, `s`, `percentunit`, `bytes`, `short`). */
export function timeseries(title: string, description: string, unit: string, queries: Query[]): cog.Builder<Panel> {
  const panel = new TimeseriesPanelBuilder()
    .title(title)
    .description(description)
    .datasource(datasource)
    .unit(unit)
    .min(0)
    .height(8)
    .span(12);
  queries.forEach((query, index) => panel.withTarget(target(query, refIds[index]!)));
  return panel;
}

/** A single-number panel (the latest value), for states and ratios an operator reads at a glance. */
export function stat(title: string, description: string, unit: string, query: Query): cog.Builder<Panel> {
  return new StatPanelBuilder()
    .title(title)
    .description(description)
    .datasource(datasource)
    .unit(unit)
    .height(4)
    .span(6)
    .withTarget(target(query, 'A'));
}

/** A dashboard with Tend's defaults: the datasource and instance variables, 30 s refresh, last hour. */
export function tendDashboard(uid: string, title: string, description: string): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['tend', 'generated'])
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .withVariable(new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'))
    .withVariable(
      new QueryVariableBuilder('instance')
        .label('Instance')
        .datasource(datasource)
        .query('label_values(tend_requests_total, instance)')
        .definition('label_values(tend_requests_total, instance)')
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .sort(VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .allValue('.*'),
    );
}

/** A row heading. */
export function row(title: string): RowBuilder {
  return new RowBuilder(title);
}

/** Rate, errors and duration of one service's requests (the RED method), on the chosen instances. */
export function redPanels(service: string): cog.Builder<Panel>[] {
  const scope = `service="${service}",instance=~"$instance"`;
  return [
    timeseries('Requests per second', `Requests ${service} served, by method.`, 'reqps', [
      { expr: `sum by (method) (rate(tend_requests_total{${scope}}[$__rate_interval]))`, legend: '{{method}}' },
    ]),
    timeseries(
      'Server error ratio',
      'Share of requests that failed through the service’s fault (5xx but 501, internal, unavailable, ...). Alert above 1 %.',
      'percentunit',
      [
        {
          expr: `sum by (method) (rate(tend_requests_total{${scope},${serverErrorCodes}}[$__rate_interval])) / sum by (method) (rate(tend_requests_total{${scope}}[$__rate_interval]))`,
          legend: '{{method}}',
        },
      ],
    ),
    timeseries(
      'Latency P95 and average',
      'P95 (alert above 5 s) and average (alert above 2 s) over all methods.',
      's',
      [
        {
          expr: `histogram_quantile(0.95, sum by (le) (rate(tend_request_duration_seconds_bucket{${scope}}[$__rate_interval])))`,
          legend: 'P95',
        },
        {
          expr: `sum(rate(tend_request_duration_seconds_sum{${scope}}[$__rate_interval])) / sum(rate(tend_request_duration_seconds_count{${scope}}[$__rate_interval]))`,
          legend: 'average',
        },
      ],
    ),
    timeseries(
      'Responses by code',
      'Every result code, callers’ mistakes included (4xx, invalid_argument, not_found).',
      'reqps',
      [{ expr: `sum by (code) (rate(tend_requests_total{${scope}}[$__rate_interval]))`, legend: '{{code}}' }],
    ),
  ];
}
