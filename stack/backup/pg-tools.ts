/**
 * pg_dump and pg_restore (Debian's, as the native stack's server: stack/components/postgres.ts)
 * with the connection in the environment — PGHOST, PGUSER, PGPASSWORD, … — so no password is ever
 * on a command line (visible to every user in `ps`) or in a log line.
 */
import { spawn } from 'node:child_process';
import { EtlError } from '../../lib/errors.js';
import { redact } from '../../lib/redact.js';
import { postgresTool } from '../components/postgres.js';

/** libpq's environment for a postgres:// URL, and a printable `host:port/database` without credentials. */
export function libpqEnv(url: string): { env: Record<string, string>; label: string; database: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new EtlError('CONFIG_INVALID', 'the Postgres URL is not a URL', {
      hint: 'postgres://user:password@host:5432/db',
    });
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:')
    throw new EtlError('CONFIG_INVALID', `the Postgres URL must start with postgres://, got ${u.protocol}//`);
  const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres';
  const host = u.hostname || '127.0.0.1';
  const port = u.port || '5432';
  const env: Record<string, string> = { PGHOST: host, PGPORT: port, PGDATABASE: database };
  if (u.username) env['PGUSER'] = decodeURIComponent(u.username);
  if (u.password) env['PGPASSWORD'] = decodeURIComponent(u.password);
  const sslmode = u.searchParams.get('sslmode');
  if (sslmode) env['PGSSLMODE'] = sslmode;
  return { env, label: `${host}:${port}/${database}`, database };
}

/** The same server and login, another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

export interface ToolRun {
  /** Lines the tool wrote on stderr (its --verbose progress), as they come. */
  onLine?: (line: string) => void;
  /** Stops the tool (SIGTERM) when aborted, e.g. when the work beside it failed. */
  signal?: AbortSignal;
}

/**
 * Run `tool` (pg_dump, pg_restore) against `url` with `args` (never credentials); resolves when it
 * exits 0, else POSTGRES_ERROR carrying its last error lines (redacted).
 */
export function runPgTool(tool: string, args: string[], url: string, o: ToolRun = {}): Promise<void> {
  const { env } = libpqEnv(url);
  const command = postgresTool(tool);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...env, PGCONNECT_TIMEOUT: '10' },
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const tail: string[] = [];
    let partial = '';
    child.stderr.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        if (line === '') continue;
        if (/error|fatal|warning/i.test(line)) tail.push(line);
        if (tail.length > 5) tail.shift();
        o.onLine?.(redact(line));
      }
    });
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'ENOENT'
          ? new EtlError('DEPENDENCY_MISSING', `${tool} not found`, {
              hint: 'apt-get install -y postgresql-client',
            })
          : err,
      ),
    );
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      const why = tail.length > 0 ? `: ${tail.join(' | ')}` : '';
      reject(
        new EtlError('POSTGRES_ERROR', redact(`${tool} exited with ${code ?? signal}${why}`), {
          retriable: false,
        }),
      );
    });
  });
}
