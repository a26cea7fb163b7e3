/**
 * The shared raw dedup suite (test/sinks/raw/dedup.suite.ts) on Postgres' sales_raw
 * (sinks/postgres/raw/dedup.ts), a schema per table. A batch is one transaction (no half-written
 * state); a batch written again after its commit is fenced by the stored position. Its own check:
 * the ids table holds each id once, on the first write's day.
 */
import pg from 'pg';
import { expect } from 'vitest';
import { stackEnv } from '../../../helpers/env.js';
import { rawDedupSuite } from '../../raw/dedup.suite.js';
import { pgCounts } from './pg-counts.js';
import { dropTopicsAndSchema } from './process-setup.js';

const env = stackEnv();

rawDedupSuite({
  kind: 'postgres',
  options: (schema) => ({ schema, databaseUrl: env.DATABASE_URL }),
  env: (schema) => ({ SINK_POSTGRES_SCHEMA: schema }),
  counts: (schema) => pgCounts(env.DATABASE_URL, schema),
  replay: (topic, partition) => ({ fenced: [{ topic, partition }], dropped: 0 }),
  async checkIds(schema, n) {
    const c = new pg.Client({ connectionString: env.DATABASE_URL });
    await c.connect();
    try {
      const ids = await c.query<{ n: string; bad: string }>(
        `SELECT count(*) n, count(*) FILTER (WHERE i.day <> (r.event_time AT TIME ZONE 'UTC')::date) bad
           FROM "${schema}".sales_raw_ids i JOIN "${schema}".sales_raw r USING (event_id)`,
      );
      expect(ids.rows[0]).toEqual({ n: String(n), bad: '0' });
    } finally {
      await c.end();
    }
  },
  drop: (schema) => dropTopicsAndSchema(env.DATABASE_URL, [], schema),
});
