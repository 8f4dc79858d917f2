import type { Clock } from '@tend/core';
import type { SchemaDatabase } from '@tend/db';
import { MonthlyPartitions, monthlyPartitionOf } from '@tend/db';
import type { HealthTables } from '../db/tables.js';
import { defaultVitalHistoryDays, maxFutureSkewMs } from './vital-input.js';

export { monthOf, monthsAround } from '@tend/db';

/** How many months before and after now the window of ready vitals partitions covers. */
export const partitionWindow = { monthsBack: 1, monthsAhead: 3 } as const;

/** The vitals partition of `month` ("YYYY-MM"): its table name and bounds. */
export function partitionOf(month: string): { name: string; from: string; to: string } {
  return monthlyPartitionOf('vitals', month);
}

/**
 * The month partitions of `vitals`, ready before the readings that need them, and only for
 * readings inside the plausible window (`historyDays` back, five minutes ahead): whatever the
 * caller, the number of partitions stays bounded.
 */
export class VitalPartitions extends MonthlyPartitions<HealthTables> {
  constructor(db: SchemaDatabase<HealthTables>, clock: Clock, historyDays = defaultVitalHistoryDays) {
    super(db, 'vitals', clock, partitionWindow, { maxAgeMs: historyDays * 86_400_000, maxAheadMs: maxFutureSkewMs });
  }
}
