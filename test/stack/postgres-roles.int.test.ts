/**
 * The native Postgres as `make up` sets it up (stack/components/postgres.ts, stack/postgres-roles.ts),
 * on a server of this test's own: every login needs its password, on the socket too; the socket
 * directory is the server owner's alone; each runtime role logs in with its own URL and none can
 * reach the owner's rights — not by SET ROLE, RESET ROLE, SET SESSION AUTHORIZATION, the owner's
 * functions or role changes — and the retention function refuses to remove recent days, whoever
 * calls it. Every refusal is asserted by its SQLSTATE.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayOf, isoDay } from '../../sinks/postgres/raw/partitions.js';
import { POSTGRES_SINK_SCHEMA } from '../../sinks/postgres/raw/config.js';
import { RETENTION_REFUSED } from '../../sinks/postgres/raw/ddl.js';
import { OWNER_ROLE } from '../../stack/postgres-roles.js';
import { ThrowawayPostgres } from '../helpers/throwaway-postgres.js';

const RUNTIME = {
  SINK_POSTGRES_DATABASE_URL: 'retail_sink',
  SINK_AGGREGATES_DATABASE_URL: 'retail_agg_sink',
  QUERY_DATABASE_URL: 'retail_reader',
  CONNECT_DATABASE_URL: 'retail_connect',
} as const;

/** The SQLSTATE `sql` fails with (fails the test if it succeeds). */
async function sqlstate(c: pg.ClientBase, sql: string, params: unknown[] = []): Promise<string | undefined> {
  try {
    await c.query(sql, params);
  } catch (err) {
    return (err as { code?: string }).code;
  }
  throw new Error(`expected a refusal, but this succeeded: ${sql}`);
}

async function connect(connectionString: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString });
  await c.connect();
  return c;
}

describe('native Postgres: authentication and runtime roles', () => {
  let db: ThrowawayPostgres;
  const clients: pg.Client[] = [];
  const today = dayOf(Date.now());
  const minDays = POSTGRES_SINK_SCHEMA.retentionMinDays.default;

  beforeAll(async () => {
    db = await ThrowawayPostgres.create();
  });
  afterAll(async () => {
    for (const c of clients) await c.end().catch(() => undefined);
    await db?.destroy();
  });

  const as = async (envKey: keyof typeof RUNTIME) => {
    const c = await connect(db.roleUrls[envKey] ?? '');
    clients.push(c);
    return c;
  };

  it('has no trust: pg_hba.conf asks every connection for a SCRAM password, on the socket too', async () => {
    const hba = readFileSync(join(db.dir, 'data', 'postgres', 'pg_hba.conf'), 'utf8');
    const rules = hba.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(rules).toEqual(['local all all scram-sha-256', 'host all all 127.0.0.1/32 scram-sha-256']);
    // Over the socket, as the superuser, with a wrong password: refused (28P01), not trusted.
    const socket = new pg.Client({
      host: join(db.dir, 'run', 'pg'),
      port: db.port,
      user: 'postgres',
      password: 'wrong',
      database: 'postgres',
    });
    await expect(socket.connect()).rejects.toMatchObject({ code: '28P01' });
  });

  it('keeps the socket directory to the server owner alone (mode 700)', () => {
    const st = statSync(join(db.dir, 'run', 'pg'));
    expect(st.mode & 0o777).toBe(0o700);
  });

  it('logs each runtime role in as itself with its own password, none a member of the owner', async () => {
    const owner = await connect(db.databaseUrl);
    clients.push(owner);
    for (const [key, role] of Object.entries(RUNTIME) as [keyof typeof RUNTIME, string][]) {
      const c = await as(key);
      expect((await c.query<{ u: string }>('SELECT current_user AS u')).rows[0]?.u).toBe(role);
      const r = await owner.query<{
        member: boolean;
        super: boolean;
        createrole: boolean;
        createdb: boolean;
      }>(
        `SELECT pg_has_role($1, $2, 'MEMBER') AS member, rolsuper AS super, rolcreaterole AS createrole,
                rolcreatedb AS createdb FROM pg_roles WHERE rolname = $1`,
        [role, OWNER_ROLE],
      );
      expect(r.rows, role).toEqual([{ member: false, super: false, createrole: false, createdb: false }]);
      // Another role's password does not log in as this role.
      const wrong = new URL(db.roleUrls[key] ?? '');
      wrong.password = new URL(db.databaseUrl).password;
      await expect(connect(wrong.toString())).rejects.toMatchObject({ code: '28P01' });
    }
  });

  it("no runtime role reaches the owner's rights: SET ROLE, RESET ROLE, SESSION AUTHORIZATION, role changes (42501)", async () => {
    for (const key of Object.keys(RUNTIME) as (keyof typeof RUNTIME)[]) {
      const c = await as(key);
      const role = RUNTIME[key];
      expect(await sqlstate(c, `SET ROLE ${OWNER_ROLE}`), role).toBe('42501');
      expect(await sqlstate(c, 'SET ROLE postgres'), role).toBe('42501');
      expect(await sqlstate(c, `SET SESSION AUTHORIZATION ${OWNER_ROLE}`), role).toBe('42501');
      await c.query('RESET ROLE');
      expect((await c.query<{ u: string }>('SELECT current_user AS u')).rows[0]?.u, role).toBe(role);
      // After RESET ROLE, still nothing of the owner's: DDL, roles, its membership, server files.
      expect(await sqlstate(c, 'CREATE TABLE public.evil (id int)'), role).toBe('42501');
      expect(await sqlstate(c, 'DROP TABLE public.sales_raw'), role).toBe('42501');
      expect(await sqlstate(c, 'CREATE ROLE evil LOGIN'), role).toBe('42501');
      expect(await sqlstate(c, `GRANT ${OWNER_ROLE} TO ${role}`), role).toBe('42501');
      expect(await sqlstate(c, `ALTER ROLE ${role} CREATEROLE`), role).toBe('42501');
      expect(await sqlstate(c, `ALTER ROLE ${OWNER_ROLE} PASSWORD 'x'`), role).toBe('42501');
      expect(await sqlstate(c, "SELECT pg_read_file('postgresql.conf')"), role).toBe('42501');
      expect(await sqlstate(c, 'ALTER DATABASE retail OWNER TO postgres'), role).toBe('42501');
    }
  });

  it("only the sink may call the owner's SECURITY DEFINER functions (42501 for the others)", async () => {
    for (const key of [
      'SINK_AGGREGATES_DATABASE_URL',
      'QUERY_DATABASE_URL',
      'CONNECT_DATABASE_URL',
    ] as const) {
      const c = await as(key);
      expect(
        await sqlstate(c, 'SELECT public.sales_raw_ensure_partition($1::date)', [isoDay(today + 60)]),
        key,
      ).toBe('42501');
      expect(
        await sqlstate(c, `SELECT * FROM public.sales_raw_retention($1::date, 'drop')`, [
          isoDay(today - 400),
        ]),
        key,
      ).toBe('42501');
    }
  });

  it(`the retention function refuses to remove days younger than the minimum (${minDays}), for the sink and the owner alike`, async () => {
    const sink = await as('SINK_POSTGRES_DATABASE_URL');
    const owner = await connect(db.databaseUrl);
    clients.push(owner);
    const partitions = async () =>
      (
        await owner.query<{ n: string }>(
          `SELECT count(*) n FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
            JOIN pg_namespace ns ON ns.oid = p.relnamespace WHERE ns.nspname = 'public' AND p.relname = 'sales_raw'`,
        )
      ).rows[0]?.n;
    const before = await partitions();
    // Tomorrow's cutoff would drop today; the floor's first refused cutoff is one day past it.
    for (const cutoff of [today + 1, today, today - (minDays - 1) + 1]) {
      for (const c of [sink, owner]) {
        expect(
          await sqlstate(c, `SELECT * FROM public.sales_raw_retention($1::date, 'drop')`, [isoDay(cutoff)]),
          isoDay(cutoff),
        ).toBe(RETENTION_REFUSED);
      }
    }
    expect(await partitions()).toBe(before);
    // The sink cannot drop or detach a partition itself either: only its owner may.
    const part = `sales_raw_p${isoDay(today).replace(/-/g, '')}`;
    expect(await sqlstate(sink, `DROP TABLE public.${part}`)).toBe('42501');
    expect(await sqlstate(sink, `ALTER TABLE public.sales_raw DETACH PARTITION public.${part}`)).toBe(
      '42501',
    );
    // At the floor itself, retention runs, and removes only days older than the floor.
    const floor = today - (minDays - 1);
    const ok = await sink.query<{ partition_name: string }>(
      `SELECT partition_name FROM public.sales_raw_retention($1::date, 'drop')`,
      [isoDay(floor)],
    );
    const oldest = today - (POSTGRES_SINK_SCHEMA.retentionDays.default - 1);
    expect(ok.rows.map((r) => r.partition_name)).toEqual(
      Array.from({ length: floor - oldest }, (_, i) => `sales_raw_p${isoDay(oldest + i).replace(/-/g, '')}`),
    );
    expect(Number(await partitions())).toBe(Number(before) - (floor - oldest));
  });
});
