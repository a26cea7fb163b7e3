/**
 * How every MergeTree table of the pipeline merges its parts. Each insert writes one part per
 * partition and ClickHouse merges them in the background; its default selector
 * (`merge_selector_base = 5`, lowered further for small and old parts) merges a table of a few MB
 * almost on every insert, rewriting the day's whole part each time. Measured on `make up`'s server
 * at 100 events/s (merged rows/s from system.events, server CPU from /proc): 63,269 rows merged a
 * second for 396 inserted (160×), 0.45 cores; with base 10: 7,278 merged rows/s, 0.34 cores. In a
 * 40-s test of 5 inserts/s into an 800k-row part, base 5 / 10 / 20 / 50 merged 47,170 / 5,410 /
 * 3,145 / 1,655 rows/s and left 6 / 4 / 9 / 20 active parts: 10 cuts the rewriting ninefold and
 * keeps the part count (what every SELECT and FINAL reads) as low as the default's.
 *
 * Applied with `ALTER TABLE … MODIFY SETTING` after the CREATE, so tables made before this setting
 * get it too, and a server that does not know the setting (UNKNOWN_SETTING) keeps its defaults
 * instead of failing the migration: it is a cost setting, never a correctness one.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { chError, chServerCode } from './errors.js';

export const MERGE_SELECTOR_BASE = 10;

const mergeSettingsSql = (table: string) =>
  `ALTER TABLE ${table} MODIFY SETTING merge_selector_base = ${MERGE_SELECTOR_BASE}`;

/**
 * Give each table (quoted, database-qualified) the merge settings. A server that does not know
 * them (an older ClickHouse: UNKNOWN_SETTING) keeps its defaults; any other failure is thrown as a
 * CLICKHOUSE_ERROR.
 */
export async function applyMergeSettings(client: ClickHouseClient, tables: string[]): Promise<void> {
  for (const table of tables) {
    try {
      await client.command({ query: mergeSettingsSql(table) });
    } catch (err) {
      if (chServerCode(err as { type?: unknown; message?: unknown }) === 'UNKNOWN_SETTING') return;
      throw chError(`could not set the merge settings of ${table}`, err);
    }
  }
}
