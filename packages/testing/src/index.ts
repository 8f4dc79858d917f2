export { realInfra, requireInfra, requiredRedisUrl, type RealInfra } from './real-infra.js';
export {
  databaseTargets,
  testDatabaseOptions,
  uniqueSchemaName,
  type DatabaseTarget,
  type TestDatabaseOptions,
} from './database-fixtures.js';
export {
  redisServerProcess,
  redisServerInstalled,
  requireRedisServer,
  freePort,
  type RedisServerProcess,
} from './redis-server-process.js';
export { tcpProxy, type TcpProxy } from './tcp-proxy.js';
export { inProcessTransport, startServiceParts, type ServiceParts } from './service-parts.js';
export { compiledTendArgs } from './compiled-server.js';
export { DedicatedPostgres, isAlive } from './dedicated-postgres.js';
export { invalidArgumentViolations } from './refusals.js';
