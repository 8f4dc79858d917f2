// What the binary needs before anything else is imported: configuration and tracing. Kept apart
// from the package index so that importing it loads no instrumented library (pg, ioredis, http)
// before tracing has hooked them.
export { loadConfig, readConfig, toTendConfig, type ConfigReading, type ConfigScope } from './config/config.js';
export { describeConfig, configMarkdownTable } from './config/describe.js';
export { infrastructureModules, type ConfigTarget } from './config/variable.js';
export type { TendConfig } from './config/types.js';
export { resolveModules, type ModuleDefinition } from './lifecycle/modules.js';
export { ConfigError } from './errors/errors.js';
export { startTracing, type TracingOptions } from './tracing/tracing.js';
