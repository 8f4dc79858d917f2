// Infrastructure: PostgreSQL, Redis and Kafka as their exporters see them (postgres_exporter,
// redis_exporter, kafka_exporter, node_exporter), next to what Tend's processes see of them.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { row, stat, tendDashboard, timeseries } from './panels.js';

export function infrastructureDashboard(): Dashboard {
  return tendDashboard('tend-infrastructure', 'Tend / Infrastructure', 'PostgreSQL, Redis, Kafka and disks.')
    .withRow(row('PostgreSQL'))
    .withPanel(
      stat('Primary up (as Tend sees it)', 'Whether the primary answers Tend’s ping.', 'short', {
        expr: 'min(tend_db_primary_up)',
        legend: 'primary',
      }),
    )
    .withPanel(
      stat('PostgreSQL up (exporter)', 'postgres_exporter’s connection to each server.', 'short', {
        expr: 'min(pg_up)',
        legend: 'pg_up',
      }),
    )
    .withPanel(
      timeseries('Transactions per second', 'Commits and rollbacks, by database (postgres_exporter).', 'ops', [
        {
          expr: 'sum by (datname) (rate(pg_stat_database_xact_commit[$__rate_interval]))',
          legend: '{{datname}} commit',
        },
        {
          expr: 'sum by (datname) (rate(pg_stat_database_xact_rollback[$__rate_interval]))',
          legend: '{{datname}} rollback',
        },
      ]),
    )
    .withPanel(
      timeseries('Connections', 'Backends per database (postgres_exporter).', 'short', [
        { expr: 'sum by (datname) (pg_stat_database_numbackends)', legend: '{{datname}}' },
      ]),
    )
    .withPanel(
      timeseries('Replica lag (as Tend sees it)', 'Replay lag of each replica; target < 100 ms.', 's', [
        { expr: 'max by (replica) (tend_db_replica_lag_seconds)', legend: '{{replica}}' },
      ]),
    )
    .withPanel(
      timeseries('Replicas in rotation', '1 while a replica takes reads.', 'short', [
        { expr: 'min by (replica) (tend_db_replica_in_rotation)', legend: '{{replica}}' },
      ]),
    )
    .withRow(row('Redis'))
    .withPanel(
      timeseries('Commands per second', 'redis_exporter.', 'ops', [
        { expr: 'sum by (instance) (rate(redis_commands_processed_total[$__rate_interval]))', legend: '{{instance}}' },
      ]),
    )
    .withPanel(
      timeseries('Memory used', 'redis_exporter.', 'bytes', [
        { expr: 'sum by (instance) (redis_memory_used_bytes)', legend: '{{instance}}' },
      ]),
    )
    .withPanel(
      timeseries('Keyspace hit ratio', 'redis_exporter.', 'percentunit', [
        {
          expr: 'sum(rate(redis_keyspace_hits_total[$__rate_interval])) / (sum(rate(redis_keyspace_hits_total[$__rate_interval])) + sum(rate(redis_keyspace_misses_total[$__rate_interval])))',
          legend: 'hits',
        },
      ]),
    )
    .withPanel(
      timeseries('Clients', 'redis_exporter.', 'short', [
        { expr: 'sum by (instance) (redis_connected_clients)', legend: '{{instance}}' },
      ]),
    )
    .withRow(row('Kafka'))
    .withPanel(stat('Brokers', 'kafka_exporter.', 'short', { expr: 'max(kafka_brokers)', legend: 'brokers' }))
    .withPanel(
      timeseries('Consumer group lag (broker)', 'kafka_exporter: messages behind, by group and topic.', 'short', [
        { expr: 'sum by (consumergroup, topic) (kafka_consumergroup_lag)', legend: '{{consumergroup}} on {{topic}}' },
      ]),
    )
    .withPanel(
      timeseries(
        'Consumer lag (as Tend sees it)',
        'Events published and not yet handled, by topic and group.',
        'short',
        [{ expr: 'sum by (topic, group) (tend_events_consumer_lag)', legend: '{{group}} on {{topic}}' }],
      ),
    )
    .withPanel(
      timeseries('Messages in per second', 'kafka_exporter: growth of each topic’s latest offset.', 'ops', [
        { expr: 'sum by (topic) (rate(kafka_topic_partition_current_offset[$__rate_interval]))', legend: '{{topic}}' },
      ]),
    )
    .withRow(row('Disks'))
    .withPanel(
      timeseries('Tend data volume used', 'Alert above 80 %.', 'percentunit', [
        {
          expr: '1 - max by (instance, path) (tend_filesystem_avail_bytes) / max by (instance, path) (tend_filesystem_size_bytes)',
          legend: '{{instance}} {{path}}',
        },
      ]),
    )
    .withPanel(
      timeseries('Node disks used', 'node_exporter; alert above 80 %.', 'percentunit', [
        {
          expr: '1 - max by (instance, mountpoint) (node_filesystem_avail_bytes{fstype!~"tmpfs|overlay|squashfs"}) / max by (instance, mountpoint) (node_filesystem_size_bytes{fstype!~"tmpfs|overlay|squashfs"})',
          legend: '{{instance}} {{mountpoint}}',
        },
      ]),
    )
    .build();
}
