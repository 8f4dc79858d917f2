import { parser } from '@prometheus-io/lezer-promql';
import { parse as parseYaml } from 'yaml';

/** A PromQL query and where it was written, for messages that point at the file. */
export interface SourcedQuery {
  source: string;
  expr: string;
}

/** The metrics and labels one query names. */
export interface QueryReferences {
  /** Each vector selector: its metric name and the labels its matchers name. */
  selectors: { metric: string; labels: string[] }[];
  /** Labels named in `by`, `without`, `on`, `ignoring`, `group_left` and `group_right`. */
  grouping: string[];
  /** The text around the first syntax error, if the query does not parse. */
  error?: string;
}

/**
 * Grafana's variables in places PromQL does not allow them (`[$__rate_interval]`), replaced by
 * something of the same kind so the query parses; `$var` inside label values are strings anyway.
 */
function withoutGrafanaVariables(expr: string): string {
  return expr.replace(/\$__(rate_interval|interval|range)/g, '5m').replace(/\[\$\w+\]/g, '[5m]');
}

/** Parses a PromQL query with Prometheus' own grammar and lists what it references. */
export function queryReferences(expr: string): QueryReferences {
  const text = withoutGrafanaVariables(expr);
  const found: QueryReferences = { selectors: [], grouping: [] };
  const tree = parser.parse(text);
  let current: { metric: string; labels: string[] } | undefined;
  tree.iterate({
    enter(node) {
      const value = text.slice(node.from, node.to);
      switch (node.name) {
        case '⚠':
          found.error ??= `syntax error near "${text.slice(Math.max(0, node.from - 20), node.to + 20)}"`;
          break;
        case 'VectorSelector':
          current = { metric: '', labels: [] };
          found.selectors.push(current);
          break;
        case 'Identifier':
          if (current && current.metric === '') current.metric = value;
          break;
        case 'LabelName':
          if (node.node.parent?.name === 'GroupingLabels') found.grouping.push(value);
          else if (current) current.labels.push(value);
          break;
        case 'QuotedLabelName':
          if (current) current.labels.push(JSON.parse(value) as string);
          break;
      }
    },
    leave(node) {
      if (node.name === 'VectorSelector') current = undefined;
    },
  });
  // `{__name__="x"}` names its metric by a matcher.
  for (const selector of found.selectors) selector.labels = selector.labels.filter((label) => label !== '__name__');
  return found;
}

interface RuleFile {
  groups: { name: string; rules: { record?: string; alert?: string; expr: string }[] }[];
}

/** The queries of a Prometheus rule file, and its recording rules by the series they record. */
export function ruleQueries(file: string, yamlText: string): { queries: SourcedQuery[]; records: Map<string, string> } {
  const rules = parseYaml(yamlText) as RuleFile;
  const queries: SourcedQuery[] = [];
  const records = new Map<string, string>();
  for (const group of rules.groups) {
    for (const rule of group.rules) {
      queries.push({ source: `${file}: ${rule.alert ?? rule.record}`, expr: rule.expr });
      if (rule.record) records.set(rule.record, rule.expr);
    }
  }
  return { queries, records };
}

/**
 * The queries of a Grafana dashboard: every panel target's `expr`, and every template variable's
 * query (`label_values(metric, label)` is turned into the selector `metric{label!=""}`).
 */
export function dashboardQueries(file: string, dashboard: unknown): SourcedQuery[] {
  const queries: SourcedQuery[] = [];
  const walk = (value: unknown, where: string): void => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => walk(item, `${where}[${index}]`));
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    const record = value as Record<string, unknown>;
    if (typeof record.expr === 'string' && record.expr.trim() !== '') {
      queries.push({ source: `${file}: ${where}`, expr: record.expr });
    }
    const query =
      typeof record.query === 'object' && record.query !== null
        ? (record.query as { query?: unknown }).query
        : record.query;
    if (typeof query === 'string') {
      const labelValues = /^label_values\(\s*([^,]+?)\s*,\s*([\w]+)\s*\)$/.exec(query.trim());
      if (labelValues) queries.push({ source: `${file}: ${where}`, expr: `${labelValues[1]}{${labelValues[2]}!=""}` });
    }
    for (const [key, child] of Object.entries(record)) walk(child, `${where}.${key}`);
  };
  walk(dashboard, 'dashboard');
  return queries;
}

/** A metric family as a scrape shows it. */
export interface ExportedFamily {
  type: string;
  /** Label names seen on its samples (empty when it has none yet). */
  labels: Set<string>;
  sampled: boolean;
}

/**
 * The families of a Prometheus text exposition, by every series name a query may use: a
 * histogram `x` answers to `x_bucket` (with `le`), `x_sum` and `x_count`; a summary to `x`, `x_sum`, `x_count`.
 */
export function exportedFamilies(exposition: string): Map<string, ExportedFamily> {
  const families = new Map<string, ExportedFamily>();
  const seriesNames = new Map<string, ExportedFamily>();
  for (const line of exposition.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      const [, name, kind] = type as unknown as [string, string, string];
      const family: ExportedFamily = { type: kind, labels: new Set(), sampled: false };
      families.set(name, family);
      const names =
        kind === 'histogram'
          ? [`${name}_bucket`, `${name}_sum`, `${name}_count`]
          : kind === 'summary'
            ? [name, `${name}_sum`, `${name}_count`]
            : [name];
      for (const series of names) seriesNames.set(series, family);
      continue;
    }
    if (line.startsWith('#') || line.trim() === '') continue;
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s/.exec(line);
    const family = sample ? seriesNames.get(sample[1]!) : undefined;
    if (!sample || !family) continue;
    family.sampled = true;
    for (const match of (sample[2] ?? '').matchAll(/([a-zA-Z_]\w*)="/g)) family.labels.add(match[1]!);
  }
  return seriesNames;
}
