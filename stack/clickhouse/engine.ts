/**
 * The ClickHouse engine behind the native stack's HTTP server: chdb connections on one data
 * directory. A connection has one state (current database, SET settings), so each runs one request
 * at a time: a request sets its database and settings, runs, and restores them, and the next one
 * starts from the defaults — the isolation a ClickHouse server gives every HTTP request that has no
 * session_id.
 *
 * Reads run beside writes and beside each other: a SELECT goes to one of `readConnections` read
 * connections (chdb opens several connections on one directory in one process, each with its own
 * state), everything else to the main one, in order. chdb serializes queries bound through its C
 * API process-wide (a race in libchdb's parameter state, see node_modules/chdb/index.js), so a
 * read whose every `{name:Type}` placeholder has a value binds them with ClickHouse's own
 * `SET param_<name> = '<text>'` on its connection instead — the value then is the same text in the
 * same escaped format a server parses from `param_<name>`. A read with a placeholder lacking its
 * value goes to the main connection, which never holds SET parameters, and fails there as on a
 * server; so a parameter left on a read connection is always overwritten before any query uses it.
 *
 * libchdb locks the directory (its `status` file) like clickhouse-server does: a second process
 * opening it fails, and that failure is turned into one line naming the directory and its owner.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { EtlError } from '../../lib/errors.js';

/** The subset of chdb's Session used here (chdb is loaded lazily: see sinks/clickhouse/client.ts). */
interface ChdbSession {
  queryAsync(sql: string, opts?: { format?: string }): Promise<ChdbResult>;
  queryBindAsync(sql: string, params: object, opts?: { format?: string }): Promise<ChdbResult>;
  close(): void;
}
interface ChdbResult {
  readonly elapsed: number;
  readonly rowsRead: number;
  readonly bytesRead: number;
  bytes(): Uint8Array;
}
interface ChdbModule {
  Session: new (path: string, opts?: { connectionArgs?: readonly string[] }) => ChdbSession;
}

export interface EngineQuery {
  sql: string;
  database: string;
  /** ClickHouse settings for this query only (name → value as sent in the URL). */
  settings: Record<string, string>;
  /** `param_<name>` values, in ClickHouse's text format. */
  params: Record<string, string>;
  /** Output format when the SQL names none (HTTP's default_format; TabSeparated by default). */
  format: string;
}

export interface EngineResult {
  body: Buffer;
  rowsRead: number;
  bytesRead: number;
  elapsedNs: number;
}

/** A failure the engine reported: ClickHouse's own text and exception code. */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly exceptionCode: number,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

/**
 * clickhouse-server's defaults where chdb's (clickhouse-local's) differ and a client can tell:
 * 64-bit integers quoted in JSON output, as @clickhouse/client and the sinks' readers expect.
 */
const SERVER_DEFAULTS = ['--output_format_json_quote_64bit_integers=1'];

const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function loadChdb(): ChdbModule {
  try {
    return createRequire(import.meta.url)('chdb') as ChdbModule;
  } catch (err) {
    throw new EtlError('DEPENDENCY_MISSING', 'the chdb package (the ClickHouse engine) is not installed', {
      hint: 'run `npm ci` in the project (chdb is a dependency of the native stack)',
      cause: err,
    });
  }
}

/** Who holds the directory, from the `status` file the engine writes while it has it open. */
function ownerOf(dir: string): string {
  const status = join(dir, 'status');
  if (!existsSync(status)) return 'another process';
  const pid = /PID:\s*(\d+)/.exec(readFileSync(status, 'utf8'))?.[1];
  return pid ? `process ${pid}` : 'another process';
}

function asEngineError(err: unknown): EngineError {
  const e = err as { message?: string; clickhouseCode?: number };
  const message = e.message ?? String(err);
  const code = e.clickhouseCode ?? Number(/^Code: (\d+)\./.exec(message)?.[1] ?? 1001);
  return new EngineError(message, code);
}

/** Escaped-format text (as `param_` values are sent) to the plain string chdb's binder expects. */
export function unescapeText(value: string): string {
  const map: Record<string, string> = { b: '\b', f: '\f', r: '\r', n: '\n', t: '\t', '0': '\0' };
  return value.replace(/\\(.)/gs, (_m, c: string) => map[c] ?? c);
}

/**
 * Placeholders `{name:Type}` whose type is a plain string: their values are text to unescape;
 * values of every other type (numbers, arrays, dates…) are literals chdb parses itself.
 */
export function stringParams(sql: string): Set<string> {
  const names = new Set<string>();
  for (const m of sql.matchAll(/\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([^}]+)\}/g)) {
    const type = (m[2] ?? '').replace(/\s+/g, '');
    if (/^(Nullable\(|LowCardinality\()*(String|FixedString\(\d+\))\)*$/.test(type)) names.add(m[1] ?? '');
  }
  return names;
}

/** A plain SELECT (or WITH … SELECT): what may run on a read connection. */
export function isRead(sql: string): boolean {
  const head = sql.replace(/^(\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/|\()+/, '');
  return /^(SELECT|WITH)\b/i.test(head);
}

/** Names of the `{name:Type}` placeholders of a query. */
export function placeholders(sql: string): Set<string> {
  return new Set([...sql.matchAll(/\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*:[^}]+\}/g)].map((m) => m[1] ?? ''));
}

/** A value as a ClickHouse string literal (the text itself, escapes included, kept as sent). */
const literal = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** One chdb connection and the requests waiting for it. */
class Connection {
  private queue: Promise<unknown> = Promise.resolve();
  waiting = 0;

  constructor(readonly session: ChdbSession) {}

  /** Run `task` after every earlier one on this connection finished. */
  enqueue<T>(task: () => Promise<T>): Promise<T> {
    this.waiting++;
    const next = this.queue.then(task).finally(() => this.waiting--);
    this.queue = next.catch(() => undefined);
    return next;
  }

  drain(): Promise<unknown> {
    return this.queue;
  }
}

export class ClickhouseEngine {
  private closed = false;
  readonly version: string;
  readonly timezone: string;

  private constructor(
    private readonly main: Connection,
    private readonly readers: Connection[],
    version: string,
    timezone: string,
  ) {
    this.version = version;
    this.timezone = timezone;
  }

  static async open(dataDir: string, readConnections = 2): Promise<ClickhouseEngine> {
    const chdb = loadChdb();
    mkdirSync(dataDir, { recursive: true });
    let session: ChdbSession;
    try {
      session = new chdb.Session(dataDir, { connectionArgs: SERVER_DEFAULTS });
    } catch (err) {
      throw new EtlError(
        'COMPONENT_START_FAILED',
        `clickhouse: data directory ${dataDir} is already open in ${ownerOf(dataDir)} (one directory, one process)`,
        { hint: 'stop that process (`make down`) or use another directory', cause: err },
      );
    }
    const about = await session.queryAsync('SELECT version(), timezone()', { format: 'TSVRaw' });
    const [version = 'unknown', timezone = 'UTC'] = Buffer.from(about.bytes()).toString().trim().split('\t');
    // Same directory, same process: further connections to the engine the first one started.
    const readers = Array.from(
      { length: readConnections },
      () => new Connection(new chdb.Session(dataDir, { connectionArgs: SERVER_DEFAULTS })),
    );
    return new ClickhouseEngine(new Connection(session), readers, version, timezone);
  }

  /**
   * Run one request's query: a read on the least busy read connection, anything else on the main
   * connection after every earlier one (one connection, one state).
   */
  run(q: EngineQuery): Promise<EngineResult> {
    const names = Object.keys(q.params);
    const bindBySet =
      isRead(q.sql) &&
      names.every((n) => SETTING_NAME.test(n)) &&
      [...placeholders(q.sql)].every((n) => n in q.params);
    if (!bindBySet || this.readers.length === 0)
      return this.main.enqueue(() => this.runNow(this.main, q, false));
    const reader = this.readers.reduce((a, b) => (b.waiting < a.waiting ? b : a));
    return reader.enqueue(() => this.runNow(reader, q, true));
  }

  private async runNow(conn: Connection, q: EngineQuery, bindBySet: boolean): Promise<EngineResult> {
    if (this.closed)
      throw new EngineError('Code: 210. DB::Exception: Server is shutting down. (NETWORK_ERROR)', 210);
    const names = Object.keys(q.settings);
    for (const n of names)
      if (!SETTING_NAME.test(n))
        throw new EngineError(`Code: 115. DB::Exception: Unknown setting '${n}'. (UNKNOWN_SETTING)`, 115);
    const useDb = q.database !== 'default';
    try {
      if (useDb) await this.exec(conn, `USE \`${q.database.replace(/`/g, '``')}\``);
      if (names.length > 0)
        await this.exec(
          conn,
          'SET ' +
            names
              .map((n) => `${n} = '${(q.settings[n] ?? '').replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`)
              .join(', '),
        );
      const params = Object.entries(q.params);
      if (bindBySet && params.length > 0)
        await this.exec(conn, 'SET ' + params.map(([k, v]) => `param_${k} = ${literal(v)}`).join(', '));
      const result = await this.query(conn, q, bindBySet);
      return {
        body: Buffer.from(result.bytes()),
        rowsRead: result.rowsRead,
        bytesRead: result.bytesRead,
        elapsedNs: Math.round(result.elapsed * 1e9),
      };
    } finally {
      // Back to the defaults for the next request; a failure here would leak state, so it is fatal.
      if (names.length > 0)
        await this.exec(conn, 'SET ' + names.map((n) => `${n} = DEFAULT`).join(', ')).catch(() => undefined);
      if (useDb) await this.exec(conn, 'USE default');
    }
  }

  private async query(conn: Connection, q: EngineQuery, boundBySet: boolean): Promise<ChdbResult> {
    try {
      if (boundBySet || Object.keys(q.params).length === 0)
        return await conn.session.queryAsync(q.sql, { format: q.format });
      const strings = stringParams(q.sql);
      const params = Object.fromEntries(
        Object.entries(q.params).map(([k, v]) => [k, strings.has(k) ? unescapeText(v) : v]),
      );
      return await conn.session.queryBindAsync(q.sql, params, { format: q.format });
    } catch (err) {
      throw asEngineError(err);
    }
  }

  private async exec(conn: Connection, sql: string): Promise<void> {
    try {
      await conn.session.queryAsync(sql, { format: 'TSV' });
    } catch (err) {
      throw asEngineError(err);
    }
  }

  /** Wait for the running queries, then release the directory. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.main, ...this.readers].map((c) => c.drain()));
    for (const c of this.readers) c.session.close();
    this.main.session.close();
  }
}
