/**
 * Users of the native ClickHouse server and what each may run — the rights a clickhouse-server
 * gives the same users through users.xml grants (stack/assets/clickhouse/users.xml, Compose):
 *
 *   default          owner      everything: migrations (`make up`, `retail-etl clickhouse migrate`), tests, curl,
 *                               ALTER USER … IDENTIFIED BY (`secrets rotate`: user-password.ts)
 *   retail_sink      raw sink   SELECT, INSERT on sales_raw, sales_raw_ids, sales_raw_id_probe;
 *                               ALTER DELETE on sales_raw_id_probe (its per-batch probe rows);
 *                               ALTER DETACH/DROP PARTITION on sales_raw, sales_raw_ids and SELECT
 *                               on system.parts (its retention) — `PARTITION ID '…'` only, and never
 *                               a partition of the last retentionMinDays days (the retention floor)
 *   retail_agg_sink  agg sink   SELECT, INSERT, ALTER DELETE (tombstones) on sales_hourly, top_skus, store_rolling_1h, sales_anomalies
 *   retail_reader    query API  readonly=1: reads only, no settings changed
 *
 * Grants name tables in any database (the sinks' database is configurable; tests use their own).
 * chdb runs in this process with its file system rights, so functions that reach outside the
 * engine (file(), url(), remote()…) are the owner's only, and one request holds one statement.
 * Refusals are answered like clickhouse-server: 516 AUTHENTICATION_FAILED (401), 497
 * ACCESS_DENIED (403), 164 READONLY (400), 62 for a second statement.
 */
import { timingSafeEqual } from 'node:crypto';
import { cutoffDay, expiredDays, expiredMonths } from '../../sinks/clickhouse/raw/retention.js';
import { EngineError } from './engine.js';
import type { Token } from './sql-scan.js';
import { isPunct, isWord, scanStatement } from './sql-scan.js';

export type ClickhouseRole = 'owner' | 'sink' | 'aggregates-sink' | 'reader';

export interface ClickhouseUser {
  name: string;
  password: string;
  /** Passwords accepted beside `password` (ALTER USER … ADD IDENTIFIED, during a rotation). */
  added?: string[];
  role: ClickhouseRole;
}

/** The runtime users' names (the owner's is the server's `user` option, `default`). */
export const CLICKHOUSE_SINK_USER = 'retail_sink';
export const CLICKHOUSE_AGG_SINK_USER = 'retail_agg_sink';
export const CLICKHOUSE_READER_USER = 'retail_reader';

interface Grants {
  select: ReadonlySet<string>;
  insert: ReadonlySet<string>;
  alterDelete: ReadonlySet<string>;
  /** ALTER TABLE … DETACH | DROP PARTITION: the raw sink's own retention. */
  partitions: ReadonlySet<string>;
  /** system.parts: which partitions exist (retention reads it). */
  systemParts: boolean;
}

const RAW_TABLES = new Set(['sales_raw', 'sales_raw_ids', 'sales_raw_id_probe']);
const AGG_TABLES = new Set(['sales_hourly', 'top_skus', 'store_rolling_1h', 'sales_anomalies']);

export const SINK_GRANTS: Record<'sink' | 'aggregates-sink', Grants> = {
  sink: {
    select: RAW_TABLES,
    insert: RAW_TABLES,
    alterDelete: new Set(['sales_raw_id_probe']),
    partitions: new Set(['sales_raw', 'sales_raw_ids']),
    systemParts: true,
  },
  'aggregates-sink': {
    select: AGG_TABLES,
    insert: AGG_TABLES,
    alterDelete: AGG_TABLES,
    partitions: new Set(),
    systemParts: false,
  },
};

/** Functions and table functions that read or write outside the engine: the owner's only. */
const OUTSIDE = new Set(
  [
    'file',
    'url',
    'urlCluster',
    's3',
    's3Cluster',
    'gcs',
    'azureBlobStorage',
    'azureBlobStorageCluster',
    'hdfs',
    'hdfsCluster',
    'remote',
    'remoteSecure',
    'cluster',
    'clusterAllReplicas',
    'mysql',
    'postgresql',
    'mongodb',
    'redis',
    'sqlite',
    'executable',
    'jdbc',
    'odbc',
    'deltaLake',
    'iceberg',
    'hudi',
    'fileCluster',
    'input',
    'dictionary',
    'dictGet',
  ].map((f) => f.toLowerCase()),
);

/** Statements a readonly=1 user may run. */
const READ_KINDS = new Set(['SELECT', 'WITH', 'SHOW', 'DESCRIBE', 'DESC', 'EXISTS', 'EXPLAIN']);

/** Words that end a table reference (so the word after a table is not taken for its alias). */
const CLAUSE = new Set(
  'WHERE PREWHERE FINAL SAMPLE GROUP ORDER LIMIT SETTINGS FORMAT JOIN INNER LEFT RIGHT FULL CROSS ARRAY GLOBAL ANY ALL ASOF SEMI ANTI PASTE ON USING UNION HAVING WINDOW QUALIFY INTERSECT EXCEPT DELETE UPDATE VALUES SELECT WITH OFFSET'.split(
    ' ',
  ),
);

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The user these credentials name, or clickhouse-server's 516 (which never says which part was wrong). */
export function authenticate(
  users: readonly ClickhouseUser[],
  who: { user: string; password: string },
): ClickhouseUser | EngineError {
  const user = users.find((u) => sameSecret(u.name, who.user));
  if (user && [user.password, ...(user.added ?? [])].some((p) => sameSecret(p, who.password))) return user;
  return new EngineError(
    `Code: 516. DB::Exception: ${who.user}: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)`,
    516,
  );
}

const denied = (user: string, grant: string) =>
  new EngineError(
    `Code: 497. DB::Exception: ${user}: Not enough privileges. To execute this query, it's necessary to have the grant ${grant}. (ACCESS_DENIED)`,
    497,
  );

/**
 * The retention floor: what a sink may detach or drop, like Postgres's retention function
 * (sinks/postgres/raw/ddl.ts) — never a partition holding one of the last `minDays` UTC days.
 */
export interface RetentionFloor {
  minDays: number;
  /** The clock (tests pin it). */
  now?: () => number;
}

/** Why the floor refuses `PARTITION ID '<id>'` of `table` (sales_raw: days, sales_raw_ids: months), or undefined. */
function floorRefusal(
  user: string,
  table: string,
  id: string | undefined,
  floor: RetentionFloor,
): EngineError | undefined {
  const first = cutoffDay(floor.minDays, (floor.now ?? Date.now)());
  const expired = table === 'sales_raw' ? expiredDays : expiredMonths;
  if (id !== undefined && expired([id], first).length === 1) return undefined;
  return new EngineError(
    `Code: 497. DB::Exception: ${user}: retention floor: partition ${id === undefined ? 'without an ID' : `ID '${id}'`} of ${table} may hold one of the last ${floor.minDays} day(s), kept by SINK_CLICKHOUSE_RETENTION_MIN_DAYS; only partitions wholly before ${first} may be detached or dropped, each by PARTITION ID. (ACCESS_DENIED)`,
    497,
  );
}

const readonly = (detail: string) => new EngineError(`Code: 164. DB::Exception: ${detail}. (READONLY)`, 164);

interface TableRef {
  database: string;
  table: string;
  /** A table function (`numbers(10)`), not a table. */
  fn: boolean;
  /** Index of the token after the reference. */
  end: number;
}

const nameOf = (t: Token | undefined) =>
  t && (t.kind === 'word' || t.kind === 'ident') ? t.text : undefined;

/** The table named at tokens[i] (`t`, `db.t`, `` `db`.`t` ``, `fn(`), or undefined for a subquery. */
function tableAt(tokens: Token[], i: number, database: string): TableRef | undefined {
  const first = nameOf(tokens[i]);
  if (first === undefined) return undefined;
  if (isPunct(tokens[i + 1], '.')) {
    const second = nameOf(tokens[i + 2]) ?? '';
    return { database: first, table: second, fn: isPunct(tokens[i + 3], '('), end: i + 3 };
  }
  return { database, table: first, fn: isPunct(tokens[i + 1], '('), end: i + 1 };
}

/** Every table a FROM or JOIN reads (comma joins included). */
function readTables(tokens: Token[], database: string): TableRef[] {
  const refs: TableRef[] = [];
  tokens.forEach((t, i) => {
    if (!isWord(t, 'FROM', 'JOIN')) return;
    let at = i + 1;
    for (;;) {
      const ref = tableAt(tokens, at, database);
      if (!ref) return;
      refs.push(ref);
      if (ref.fn) return;
      at = ref.end;
      if (isWord(tokens[at], 'AS')) at += 2;
      else if (nameOf(tokens[at]) !== undefined && !CLAUSE.has((tokens[at] as Token).text.toUpperCase()))
        at += 1;
      if (!isPunct(tokens[at], ',')) return;
      at += 1;
    }
  });
  return refs;
}

/** The statement's kind: its first word, after any opening parentheses. */
function kindOf(tokens: Token[]): { kind: string; at: number } {
  let at = 0;
  while (isPunct(tokens[at], '(')) at += 1;
  return { kind: (tokens[at]?.text ?? '').toUpperCase(), at };
}

function checkReader(user: ClickhouseUser, tokens: Token[], settings: Record<string, string>) {
  const { kind } = kindOf(tokens);
  if (!READ_KINDS.has(kind)) return readonly(`${user.name}: Cannot execute query in readonly mode`);
  const changed = Object.keys(settings)[0];
  if (changed !== undefined) return readonly(`Cannot modify '${changed}' setting in readonly mode`);
  const inline = tokens.findIndex((t, i) => isWord(t, 'SETTINGS') && isPunct(tokens[i + 2], '='));
  if (inline >= 0)
    return readonly(`Cannot modify '${tokens[inline + 1]?.text ?? ''}' setting in readonly mode`);
  return undefined;
}

function checkSink(
  user: ClickhouseUser,
  tokens: Token[],
  database: string,
  floor: RetentionFloor,
): EngineError | undefined {
  const grants = SINK_GRANTS[user.role as 'sink' | 'aggregates-sink'];
  const { kind, at } = kindOf(tokens);
  const full = (r: TableRef) => `${r.database}.${r.table}`;
  for (const r of readTables(tokens, database)) {
    if (r.fn) return denied(user.name, `CREATE TEMPORARY TABLE ON *.*`);
    if (grants.systemParts && r.database === 'system' && r.table === 'parts') continue;
    if (!grants.select.has(r.table)) return denied(user.name, `SELECT ON ${full(r)}`);
  }
  // The table a statement acts on: after INTO / TABLE / FROM.
  const target = (skip: number) => tableAt(tokens, at + skip, database);
  switch (kind) {
    case 'SELECT':
    case 'WITH':
      return undefined;
    case 'INSERT': {
      if (isWord(tokens[at + 2], 'FUNCTION')) return denied(user.name, 'CREATE TEMPORARY TABLE ON *.*');
      const t = target(2);
      // `(` after the table is its column list here (INSERT INTO FUNCTION was refused above).
      return t && grants.insert.has(t.table)
        ? undefined
        : denied(user.name, `INSERT ON ${t ? full(t) : database + '.*'}`);
    }
    case 'EXISTS':
    case 'DESCRIBE':
    case 'DESC': {
      const t = target(isWord(tokens[at + 1], 'TABLE') ? 2 : 1);
      return t && grants.select.has(t.table)
        ? undefined
        : denied(user.name, `SHOW COLUMNS ON ${t ? full(t) : database + '.*'}`);
    }
    case 'DELETE': {
      const t = target(2);
      return t && grants.alterDelete.has(t.table)
        ? undefined
        : denied(user.name, `ALTER DELETE ON ${t ? full(t) : database + '.*'}`);
    }
    case 'ALTER': {
      if (isWord(tokens[at + 1], 'USER')) return denied(user.name, 'ALTER USER ON *.*');
      const t = target(2);
      const deletes = t !== undefined && isWord(tokens[t.end], 'DELETE');
      if (t && deletes && grants.alterDelete.has(t.table)) return undefined;
      const partitionOp =
        t !== undefined &&
        (isWord(tokens[t.end], 'DETACH') || isWord(tokens[t.end], 'DROP')) &&
        isWord(tokens[t.end + 1], 'PARTITION');
      if (t && partitionOp && grants.partitions.has(t.table)) {
        // Only `PARTITION ID '<id>'` and nothing after it: an expression or ALL cannot be judged.
        const byId = isWord(tokens[t.end + 2], 'ID') && tokens[t.end + 3]?.kind === 'string';
        const id = byId && tokens.length === t.end + 4 ? tokens[t.end + 3]?.value : undefined;
        return floorRefusal(user.name, t.table, id, floor);
      }
      const action = (tokens[t?.end ?? at + 2]?.text ?? '').toUpperCase();
      return denied(user.name, `ALTER ${action || 'TABLE'} ON ${t ? full(t) : database + '.*'}`);
    }
    default: {
      const object = (tokens[at + 1]?.text ?? '').toUpperCase();
      const named = ['TABLE', 'DATABASE', 'VIEW', 'DICTIONARY', 'FUNCTION', 'USER', 'ROLE'].includes(object);
      // clickhouse-server names these grants DROP TABLE, CREATE DATABASE…, but plain TRUNCATE.
      const what = named && kind !== 'TRUNCATE' ? `${kind} ${object}` : kind;
      const t = named
        ? target(isWord(tokens[at + 2], 'IF') ? (isWord(tokens[at + 3], 'NOT') ? 5 : 4) : 2)
        : undefined;
      return denied(user.name, `${what} ON ${t ? full(t) : '*.*'}`);
    }
  }
}

/**
 * Why `user` may not run `sql` (with these URL settings, in `database`), or undefined if it may.
 * The owner may run anything; every other user one statement within its rights, a sink's
 * partition removals above the retention floor only.
 */
export function refusal(
  user: ClickhouseUser,
  q: { sql: string; settings: Record<string, string>; database: string },
  floor: RetentionFloor,
): EngineError | undefined {
  if (user.role === 'owner') return undefined;
  const { tokens, multiStatement } = scanStatement(q.sql);
  if (multiStatement)
    return new EngineError('Code: 62. DB::Exception: Multi-statements are not allowed. (SYNTAX_ERROR)', 62);
  const outside = tokens.find(
    (t, i) => t.kind === 'word' && isPunct(tokens[i + 1], '(') && OUTSIDE.has(t.text.toLowerCase()),
  );
  if (outside) return denied(user.name, `READ, WRITE ON ${outside.text.toUpperCase()}`);
  return user.role === 'reader'
    ? checkReader(user, tokens, q.settings)
    : checkSink(user, tokens, q.database, floor);
}
