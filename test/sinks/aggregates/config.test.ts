import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeSchema } from '../../../lib/config/index.js';
import { aggClickhouseDdl } from '../../../sinks/clickhouse/aggregates/ddl.js';
import { AGGREGATES_SCHEMA, aggregatesConfig } from '../../../sinks/aggregates/config.js';
import { aggMigrationSql } from '../../../sinks/postgres/aggregates/ddl.js';
import { projectRoot } from '../../../stack/paths.js';

describe('sink aggregates config', () => {
  it('defaults per target, unknown keys and bad values rejected with the key named', () => {
    expect(aggregatesConfig({}, {})).toMatchObject({
      target: 'postgres',
      metricsPort: 9405,
      groupId: 'retail-sink-aggregates-postgres',
      schema: 'public',
    });
    expect(aggregatesConfig({ target: 'clickhouse' }, {})).toMatchObject({
      metricsPort: 9406,
      groupId: 'retail-sink-aggregates-clickhouse',
    });
    expect(() => aggregatesConfig({ topic: 'x' }, {})).toThrow(/unknown config key "topic"/);
    expect(() => aggregatesConfig({}, { SINK_AGGREGATES_TARGET: 'mysql' })).toThrow(
      /target must be one of postgres, clickhouse/,
    );
  });

  it('waits longer before a flush into ClickHouse (a part per insert) than into Postgres; a setting still wins', () => {
    expect(aggregatesConfig({}, {}).maxWaitMs).toBe(250);
    expect(aggregatesConfig({ target: 'clickhouse' }, {}).maxWaitMs).toBe(1000);
    expect(aggregatesConfig({}, { SINK_AGGREGATES_TARGET: 'clickhouse' }).maxWaitMs).toBe(1000);
    expect(aggregatesConfig({ target: 'clickhouse', maxWaitMs: '100' }, {}).maxWaitMs).toBe(100);
    expect(aggregatesConfig({ target: 'clickhouse' }, { SINK_AGGREGATES_MAX_WAIT_MS: '300' }).maxWaitMs).toBe(
      300,
    );
    expect(aggregatesConfig({ maxWaitMs: 2000 }, {}).maxWaitMs).toBe(2000);
    expect(() => aggregatesConfig({ target: 'clickhouse', maxWaitMs: 5 }, {})).toThrow(
      /maxWaitMs must be ≥ 10/,
    );
  });

  it('docs/aggregates.md points at the generated options table, which lists exactly the code’s', () => {
    const doc = (name: string) => readFileSync(join(projectRoot(), 'docs', name), 'utf8');
    expect(doc('aggregates.md')).toContain('(configuration.md#sink-aggregates)');
    expect(doc('configuration.md')).toContain(describeSchema(AGGREGATES_SCHEMA));
  });

  it('the tables have the contract names and columns (DESIGN.md) in both targets', () => {
    const pg = aggMigrationSql({ schema: 's', sinkRole: 'w', readerRole: 'r' }).join('\n');
    const ch = Object.values(aggClickhouseDdl('d', 100)).join('\n');
    const contract: Record<string, string[]> = {
      sales_hourly: ['store_id', 'sku', 'window_start', 'quantity', 'revenue_cents', 'returns', 'orders'],
      top_skus: ['window_start', 'rank', 'sku', 'revenue_cents', 'quantity'],
      store_rolling_1h: ['store_id', 'window_end', 'quantity', 'revenue_cents', 'orders'],
    };
    for (const [table, cols] of Object.entries(contract)) {
      for (const ddl of [pg, ch]) {
        const body =
          new RegExp(`\\.\\W?${table}\\W? \\(([^]*?)\\) (?:ENGINE|$)`, 'm').exec(ddl)?.[1] ??
          ddl.split(`${table} (`)[1] ??
          '';
        for (const c of cols) expect(body, `${table}.${c}`).toMatch(new RegExp(`\\b${c}\\b`));
      }
    }
    expect(pg).toMatch(/GRANT SELECT ON .*sales_hourly.* TO "r"/);
  });
});
