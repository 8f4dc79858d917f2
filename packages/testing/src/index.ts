export { realInfra, requireInfra, type RealInfra } from './real-infra.js';
export {
  databaseTargets,
  testDatabaseOptions,
  uniqueSchemaName,
  type DatabaseTarget,
  type TestDatabaseOptions,
} from './database-fixtures.js';
