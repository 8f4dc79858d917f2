export { watchDatabase } from './database-metrics.js';
export type { SchemaDatabase, Migration, TransactionOptions } from './database.js';
export { createDatabase, type CreateDatabaseOptions } from './create-database.js';
export type { Database, DatabaseStatus, ReplicaStatus } from './database.js';
export {
  PostgresDatabase,
  type PostgresDatabaseOptions,
  type DatabaseTuning,
  type PostgresServer,
} from './postgres-database.js';
export { EmbeddedPostgres, type EmbeddedPostgresOptions, type EmbeddedPostgresTimings } from './embedded-postgres.js';
export { loadMigrations, MigrationError, platformMigrations } from './migrations.js';
export {
  MonthlyPartitions,
  monthlyPartitionOf,
  monthOf,
  monthsAround,
  PartitionRangeError,
  type PartitionRange,
  type PartitionWindow,
} from './monthly-partitions.js';
export { primaryOrReplica, type ReplicaAnswerOptions } from './replica-fallback.js';
export { RetentionTask, type RetentionRule, type RetentionTaskOptions } from './retention.js';
