import { parseArgs } from 'node:util';
import { ConfigError } from '@tend/core/bootstrap';

/** What the command line asks for. */
export type Command =
  { kind: 'serve'; targets: string[] } | { kind: 'config'; targets: string[] } | { kind: 'help' } | { kind: 'version' };

export const usage = `Usage: tend serve [--target=all|<service>[,<service>...]]
       tend config --print [--target=...]

Runs Tend. With no target, or --target=all, every service runs in this one process on embedded
PostgreSQL, cache and event bus. A list of targets runs just those services; configure real
PostgreSQL, Redis and Kafka with DATABASE_URL, REDIS_URL and KAFKA_BROKERS (see README.md).

\`config --print\` writes the variables those targets read, with their effective values (secrets
as ***), and exits; a bad value stops it as it would stop the server.

Targets: all, gateway, voice, conversation, health, notification, external
`;

/** Parses `argv` (without node and script). Unknown flags are a ConfigError naming the flag. */
export function parseCommand(argv: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        target: { type: 'string', short: 't', multiple: true },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
        print: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new ConfigError('command line', (error as Error).message);
  }
  if (parsed.values.help) return { kind: 'help' };
  if (parsed.values.version) return { kind: 'version' };
  const [command = 'serve', ...rest] = parsed.positionals;
  if (command !== 'serve' && command !== 'config') {
    throw new ConfigError('command line', `unknown command "${command}"; try "tend serve"`);
  }
  if (rest.length > 0) throw new ConfigError('command line', `unexpected argument "${rest[0]}"`);
  if (command === 'config' && !parsed.values.print) {
    throw new ConfigError('command line', '"tend config" needs --print');
  }
  if (command === 'serve' && parsed.values.print)
    throw new ConfigError('command line', '--print goes with "tend config"');
  const targets = (parsed.values.target ?? ['all'])
    .flatMap((t) => t.split(','))
    .map((t) => t.trim())
    .filter(Boolean);
  return { kind: command, targets: targets.length > 0 ? targets : ['all'] };
}
