// The one binary: `tend serve --target=all|<service>,...`. Signals are handled here and only here.
import { ConfigError, describeConfig, readConfig, startTracing, toTendConfig } from '@tend/core/bootstrap';
import { parseCommand, usage } from './cli.js';
import { modulesFor } from './module-graph.js';

/** Exit codes: 0 clean stop, 1 failure while running, 78 bad configuration (EX_CONFIG). */
const exitConfig = 78;

/** Signals closer together than this are one request to stop. */
const duplicateSignalWindowMs = 1000;

async function main(): Promise<number> {
  let command;
  try {
    command = parseCommand(process.argv.slice(2));
  } catch (error) {
    return reportStartFailure(error);
  }
  if (command.kind === 'help') {
    process.stdout.write(usage);
    return 0;
  }
  if (command.kind === 'version') {
    process.stdout.write(`tend ${process.env.npm_package_version ?? 'dev'} (node ${process.version})\n`);
    return 0;
  }
  // A process reads and requires only the variables of the modules its targets run.
  let reading;
  try {
    reading = readConfig(process.env, { modules: modulesFor(command.targets) });
  } catch (error) {
    return reportStartFailure(error);
  }
  if (command.kind === 'config') {
    process.stdout.write(describeConfig(reading));
    return 0;
  }
  const config = toTendConfig(reading.values);
  // Each process names its targets in traces, so a trace shows which service did what.
  const tracing = await startTracing({
    serviceName: `tend-${command.targets.join('+')}`,
    otlpEndpoint: config.otlpEndpoint,
  });
  // Every target uses the database: without DATABASE_URL, the embedded server's first initdb
  // runs beside the import of the program below (another core and the disk) instead of after it.
  if (!config.databaseUrl?.trim()) {
    const [{ EmbeddedPostgres }, { createLogger }] = await Promise.all([
      import('@tend/db/embedded-postgres'),
      import('@tend/core'),
    ]);
    await EmbeddedPostgres.initialiseEarly({
      dataDir: config.dataDir,
      logger: createLogger({ level: config.logLevel }),
    });
  }
  // Everything else is imported after tracing hooked the instrumented libraries.
  const { createServer } = await import('./server.js');

  let server;
  try {
    server = createServer(config, command.targets);
  } catch (error) {
    return reportStartFailure(error);
  }
  const stopped = new Promise<number>((resolve) => {
    let firstSignalAt: number | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (firstSignalAt !== undefined) {
        // `npm start` forwards the signal its process group already delivered: the same stop
        // request twice. Only a signal that comes later means "stop now".
        if (Date.now() - firstSignalAt < duplicateSignalWindowMs) return;
        server.logger.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      firstSignalAt = Date.now();
      server.logger.info({ signal }, 'stopping');
      server
        .stop()
        .then(() => resolve(0))
        .catch((error: unknown) => {
          server.logger.error({ err: error }, 'stop failed');
          resolve(1);
        });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  try {
    await server.start();
  } catch (error) {
    await server.stop().catch(() => undefined);
    await tracing.stop().catch(() => undefined);
    return reportStartFailure(error);
  }
  const code = await stopped;
  await tracing.stop().catch(() => undefined);
  return code;
}

/** One line on stderr saying what is wrong, and the exit code for it. */
function reportStartFailure(error: unknown): number {
  if (error instanceof ConfigError) {
    process.stderr.write(`tend: ${error.message}\n`);
    return exitConfig;
  }
  process.stderr.write(`tend: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
}

// Exit explicitly: a stray timer or socket in a dependency must not keep a stopped server alive.
process.exit(await main());
