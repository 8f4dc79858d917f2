import { configRows, type ConfigReading } from './config.js';
import type { ConfigTarget } from './variable.js';

/**
 * The README's configuration table, one line per row of `configTable`. `readers` turns a
 * target into what the reader should see (the app expands `database` into the services that
 * use it), so the README says which processes read each variable.
 */
export function configMarkdownTable(readers: (target: ConfigTarget) => readonly string[] = (t) => [t]): string {
  const lines = ['| variable | default | read by | meaning |', '| --- | --- | --- | --- |'];
  for (const [name, row] of configRows()) {
    const by =
      row.targets === 'every' ? 'every process' : [...new Set(row.targets.flatMap((t) => readers(t)))].join(', ');
    const required = row.requiredWith ? `; required with \`${row.requiredWith}\`` : '';
    const meaning = `${row.secret ? '**secret**: ' : ''}${row.doc}${required}`;
    lines.push(`| \`${name}\` | ${defaultText(row.default, row.defaultDoc)} | ${by} | ${escapeCell(meaning)} |`);
  }
  return lines.join('\n') + '\n';
}

/**
 * What `tend config --print` writes: each variable this process reads with its effective
 * value, one `NAME=value` line each, secrets as `***`, passwords in URLs hidden, and defaults
 * marked as such.
 */
export function describeConfig(reading: ConfigReading): string {
  const lines: string[] = [];
  for (const [name, row] of configRows()) {
    if (!reading.read.has(name)) continue;
    const value = reading.values[name];
    if (!reading.given.has(name)) {
      const shown = row.defaultDoc ?? showValue(value, row.show);
      lines.push(
        `${name}=${row.secret || row.defaultDoc ? '' : shown}  # default${row.defaultDoc ? `: ${plain(shown)}` : ''}`,
      );
    } else {
      lines.push(`${name}=${row.secret ? '***' : showValue(value, row.show)}`);
    }
  }
  return lines.join('\n') + '\n';
}

function showValue(value: unknown, show: ((value: never) => string) | undefined): string {
  if (show && value !== undefined && value !== null) return show(value as never);
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value === undefined ? '' : JSON.stringify(value);
}

function defaultText(value: unknown, doc: string | undefined): string {
  if (doc !== undefined) return doc;
  return `\`${showValue(value, undefined)}\``;
}

function plain(doc: string): string {
  return doc.replaceAll('`', '');
}

function escapeCell(text: string): string {
  return text.replaceAll('|', '\\|');
}
