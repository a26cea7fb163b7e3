/**
 * The grants `pg migrate` gives the runtime roles (docs/sinks.md, "Roles"), checked on a Postgres
 * of this test's own set up by the stack's code (test/helpers/throwaway-postgres.ts), each role
 * logged in with its own URL as its process does (no SET ROLE; test/stack/postgres-roles.int.test.ts
 * checks that no role reaches the owner's rights):
 * - retail_sink may INSERT into sales_raw (through the parent only), read and move its positions in
 *   sink_offsets and create day partitions through the SECURITY DEFINER function — and nothing else:
 *   no SELECT/UPDATE/DELETE/TRUNCATE of sales_raw, no DELETE of positions, no DDL, no other schema's
 *   tables. The role names are cluster-wide: every schema migrated with the same names grants the
 *   same role the same rights (it may INSERT into each of those sales_raw), so deployments sharing a
 *   cluster that must not touch each other configure their own `sinkRole`/`readerRole` — checked
 *   here too.
 * - retail_reader may SELECT everything of the schema, including a day partition created after the
 *   migration, and may not write anything or call the functions.
 * Every refusal is asserted by its SQLSTATE (42501 insufficient_privilege) and the object it names.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../../sinks/postgres/raw/ddl.js';
import { DAY_MS, ensurePartitions, isoDay, dayOf } from '../../../../sinks/postgres/raw/partitions.js';
import { uniqueName } from '../../../helpers/env.js';
import { ThrowawayPostgres } from '../../../helpers/throwaway-postgres.js';

const SINK = 'retail_sink';
const READER = 'retail_reader';
const URL_OF: Record<string, string> = {
  [SINK]: 'SINK_POSTGRES_DATABASE_URL',
  [READER]: 'QUERY_DATABASE_URL',
};
let db: ThrowawayPostgres;

/** A connection of its own logged in as `role` with the role's own URL, as each block's setup. */
async function connectAs(role: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: db.roleUrls[URL_OF[role] ?? ''] });
  await c.connect();
  return c;
}

/** Run `sql` and return the SQLSTATE and message it fails with (fails the test if it succeeds). */
async function refused(c: pg.Client, sql: string, params: unknown[] = []) {
  try {
    await c.query(sql, params);
  } catch (err) {
    const e = err as { code?: string; message: string };
    return { code: e.code, message: e.message };
  }
  throw new Error(`expected a refusal, but this succeeded: ${sql}`);
}

const row = (id: string, day: number) => [
  id,
  new Date(day * DAY_MS + 3_600_000).toISOString(),
  'S001',
  'SKU-1',
  2,
  150,
  'EUR',
  'store',
  'card',
  null,
  'B1',
  0,
  1,
  new Date().toISOString(),
];
const INSERT = (schema: string) =>
  `INSERT INTO "${schema}".sales_raw (event_id, event_time, store_id, sku, quantity, unit_price_cents, currency,
     channel, payment_type, customer_id, basket_id, kafka_partition, kafka_offset, kafka_timestamp)
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`;

describe('least-privilege roles (a Postgres of its own)', () => {
  const schema = uniqueName('rolespg');
  const other = uniqueName('rolesother');
  const secret = uniqueName('rolessecret');
  // A second deployment in the same cluster that configured its own role names.
  const isolated = uniqueName('rolesiso');
  const isoRoles = { sinkRole: uniqueName('iso_sink'), readerRole: uniqueName('iso_reader') };
  const today = dayOf(Date.now());
  const todayPart = `sales_raw_p${isoDay(today).replace(/-/g, '')}`;
  let owner: pg.Client;

  beforeAll(async () => {
    db = await ThrowawayPostgres.create();
    owner = new pg.Client({ connectionString: db.databaseUrl });
    await owner.connect();
    for (const s of [schema, other]) {
      await migrate(owner, { schema: s, sinkRole: SINK, readerRole: READER });
      await ensurePartitions(owner, { schema: s, retentionDays: 2, aheadDays: 1 });
    }
    await migrate(owner, { schema: isolated, ...isoRoles });
    // A table of another component in a schema the roles were never given.
    await owner.query(`CREATE SCHEMA "${secret}"`);
    await owner.query(`CREATE TABLE "${secret}".accounts (id int)`);
    await owner.query(INSERT(other), row('00000000-0000-7000-8000-000000000001', today));
  });

  afterAll(async () => {
    await owner?.end();
    await db?.destroy();
  });

  describe(SINK, () => {
    let c: pg.Client;
    beforeAll(async () => {
      c = await connectAs(SINK);
      expect((await c.query<{ u: string }>('SELECT current_user AS u')).rows[0]?.u).toBe(SINK);
    });
    afterAll(() => c.end());

    it('inserts into sales_raw (day partition and guard) and uses sink_offsets', async () => {
      await c.query(INSERT(schema), row('00000000-0000-7000-8000-00000000000a', today));
      await c.query(INSERT(schema), row('00000000-0000-7000-8000-00000000000b', today - 400));
      await c.query(
        `INSERT INTO "${schema}".sink_offsets (group_id, topic, partition, next_offset) VALUES ('g', 't', 0, 10)`,
      );
      const moved = await c.query(
        `UPDATE "${schema}".sink_offsets SET next_offset = 20 WHERE group_id = 'g' AND next_offset = 10`,
      );
      expect(moved.rowCount).toBe(1);
      const pos = await c.query<{ n: string }>(`SELECT next_offset n FROM "${schema}".sink_offsets`);
      expect(pos.rows).toEqual([{ n: '20' }]);
      const where = await owner.query<{ t: string; n: string }>(
        `SELECT tableoid::regclass::text t, count(*) n FROM "${schema}".sales_raw GROUP BY 1 ORDER BY 1`,
      );
      expect(where.rows).toEqual([
        { t: `${schema}.sales_raw_default`, n: '1' },
        { t: `${schema}.${todayPart}`, n: '1' },
      ]);
    });

    it('cannot read, update, delete or truncate sales_raw, nor write a partition directly', async () => {
      const denied = [
        [`SELECT count(*) FROM "${schema}".sales_raw`, /permission denied for table sales_raw$/],
        [`UPDATE "${schema}".sales_raw SET quantity = 0`, /permission denied for table sales_raw$/],
        [`DELETE FROM "${schema}".sales_raw`, /permission denied for table sales_raw$/],
        [`TRUNCATE "${schema}".sales_raw`, /permission denied for table sales_raw$/],
        [`DELETE FROM "${schema}".sales_raw_default`, /permission denied for table sales_raw_default$/],
        [`DELETE FROM "${schema}".${todayPart}`, new RegExp(`permission denied for table ${todayPart}$`)],
        [`SELECT * FROM "${schema}".${todayPart}`, new RegExp(`permission denied for table ${todayPart}$`)],
        [`DELETE FROM "${schema}".sink_offsets`, /permission denied for table sink_offsets$/],
        [`TRUNCATE "${schema}".sink_offsets`, /permission denied for table sink_offsets$/],
      ] as const;
      for (const [sql, message] of denied) {
        expect(await refused(c, sql), sql).toEqual({
          code: '42501',
          message: expect.stringMatching(message),
        });
      }
      const direct = await refused(
        c,
        INSERT(schema).replace('.sales_raw ', `.${todayPart} `),
        row('00000000-0000-7000-8000-00000000000c', today),
      );
      expect(direct).toEqual({ code: '42501', message: `permission denied for table ${todayPart}` });
    });

    it('cannot create, alter or drop anything', async () => {
      const denied = [
        [`CREATE TABLE "${schema}".evil (id int)`, `permission denied for schema ${schema}`],
        [`CREATE TABLE public.evil (id int)`, 'permission denied for schema public'],
        [`CREATE SCHEMA evil_${schema}`, /permission denied for database/],
        [`ALTER TABLE "${schema}".sales_raw ADD COLUMN evil int`, 'must be owner of table sales_raw'],
        [`DROP TABLE "${schema}".sink_offsets`, 'must be owner of table sink_offsets'],
        [
          `ALTER TABLE "${schema}".sales_raw DETACH PARTITION "${schema}".${todayPart}`,
          'must be owner of table sales_raw',
        ],
      ] as const;
      for (const [sql, message] of denied) {
        const got = await refused(c, sql);
        expect(got.code, sql).toBe('42501');
        if (typeof message === 'string') expect(got.message, sql).toBe(message);
        else expect(got.message, sql).toMatch(message);
      }
    });

    it("cannot read other schemas' tables: another sink schema's sales_raw, a deployment with its own roles, an ungranted schema", async () => {
      // Same role names: the grants are the same (the role is cluster-wide), and none is SELECT on sales_raw.
      expect(await refused(c, `SELECT * FROM "${other}".sales_raw`)).toEqual({
        code: '42501',
        message: 'permission denied for table sales_raw',
      });
      // A deployment migrated with its own role names is out of reach entirely.
      for (const table of ['sales_raw', 'sink_offsets']) {
        expect(await refused(c, `SELECT * FROM "${isolated}".${table}`)).toEqual({
          code: '42501',
          message: `permission denied for schema ${isolated}`,
        });
      }
      expect(await refused(c, INSERT(isolated), row('00000000-0000-7000-8000-00000000000f', today))).toEqual({
        code: '42501',
        message: `permission denied for schema ${isolated}`,
      });
      expect(await refused(c, `SELECT * FROM "${secret}".accounts`)).toEqual({
        code: '42501',
        message: `permission denied for schema ${secret}`,
      });
    });

    it('creates a day partition only through the SECURITY DEFINER function', async () => {
      const day = isoDay(today + 20);
      const made = await c.query<{ created: boolean }>(
        `SELECT "${schema}".sales_raw_ensure_partition($1::date) AS created`,
        [day],
      );
      expect(made.rows[0]?.created).toBe(true);
      const again = await c.query<{ created: boolean }>(
        `SELECT "${schema}".sales_raw_ensure_partition($1::date) AS created`,
        [day],
      );
      expect(again.rows[0]?.created).toBe(false);
    });
  });

  describe(READER, () => {
    let c: pg.Client;
    beforeAll(async () => {
      c = await connectAs(READER);
    });
    afterAll(() => c.end());

    it('reads sales_raw, its partitions, the guard and sink_offsets', async () => {
      const n = await c.query<{ n: string }>(`SELECT count(*) n FROM "${schema}".sales_raw`);
      expect(Number(n.rows[0]?.n)).toBeGreaterThanOrEqual(2);
      await c.query(`SELECT * FROM "${schema}".sales_raw_default`);
      await c.query(`SELECT * FROM "${schema}".${todayPart}`);
      await c.query(`SELECT * FROM "${schema}".sink_offsets`);
    });

    it('reads a day partition created after the migration (default privileges)', async () => {
      const day = today + 30;
      const part = `sales_raw_p${isoDay(day).replace(/-/g, '')}`;
      const sink = await connectAs(SINK);
      try {
        // As the running sink does it: the sink role, through the function.
        await sink.query(`SELECT "${schema}".sales_raw_ensure_partition($1::date)`, [isoDay(day)]);
        await sink.query(INSERT(schema), row('00000000-0000-7000-8000-00000000000d', day));
      } finally {
        await sink.end();
      }
      const r = await c.query<{ id: string }>(`SELECT event_id::text id FROM "${schema}".${part}`);
      expect(r.rows).toEqual([{ id: '00000000-0000-7000-8000-00000000000d' }]);
    });

    it('cannot insert, update, delete, truncate, create or call the functions', async () => {
      const r = row('00000000-0000-7000-8000-00000000000e', today);
      const denied: [string, unknown[], string][] = [
        [INSERT(schema), r, 'permission denied for table sales_raw'],
        [
          INSERT(schema).replace('.sales_raw ', `.${todayPart} `),
          r,
          `permission denied for table ${todayPart}`,
        ],
        [`UPDATE "${schema}".sales_raw SET quantity = 0`, [], 'permission denied for table sales_raw'],
        [`DELETE FROM "${schema}".sales_raw`, [], 'permission denied for table sales_raw'],
        [`DELETE FROM "${schema}".${todayPart}`, [], `permission denied for table ${todayPart}`],
        [`TRUNCATE "${schema}".sales_raw`, [], 'permission denied for table sales_raw'],
        [
          `INSERT INTO "${schema}".sink_offsets (group_id, topic, partition, next_offset) VALUES ('r', 't', 0, 1)`,
          [],
          'permission denied for table sink_offsets',
        ],
        [
          `UPDATE "${schema}".sink_offsets SET next_offset = 0`,
          [],
          'permission denied for table sink_offsets',
        ],
        [`CREATE TABLE "${schema}".evil (id int)`, [], `permission denied for schema ${schema}`],
        [
          `SELECT "${schema}".sales_raw_ensure_partition($1::date)`,
          [isoDay(today + 40)],
          'permission denied for function sales_raw_ensure_partition',
        ],
        [
          `SELECT * FROM "${schema}".sales_raw_retention($1::date, 'drop')`,
          [isoDay(today + 40)],
          'permission denied for function sales_raw_retention',
        ],
      ];
      for (const [sql, params, message] of denied) {
        expect(await refused(c, sql, params), sql).toEqual({ code: '42501', message });
      }
      // Nothing the reader tried changed anything.
      const n = await owner.query<{ n: string }>(`SELECT count(*) n FROM "${schema}".sales_raw`);
      expect(n.rows).toEqual([{ n: '3' }]);
    });
  });
});
