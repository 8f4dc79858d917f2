// What the binary needs before anything else is imported: configuration and tracing. Kept apart
// from the package index so that importing it loads no instrumented library (pg, ioredis, http)
// before tracing has hooked them.
export { loadConfig, type TendConfig } from './config/config.js';
export { ConfigError } from './errors/errors.js';
export { startTracing, type TracingOptions } from './tracing/tracing.js';
