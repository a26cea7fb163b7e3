/**
 * TLS to the native Postgres with `sslmode=verify-full`, on a server of this test's own started by
 * the stack's code (stack/components/postgres.ts, stack/postgres-tls.ts): the certificate of the
 * generated CA is accepted for 127.0.0.1 and localhost, the session is encrypted; a client trusting
 * another CA, or a server certificate issued for another host name, is refused with a line that
 * says which — never retried. Every client opens its connection through lib/postgres/connection.ts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isEtlError } from '../../lib/errors.js';
import { pgClient } from '../../lib/postgres/connection.js';
import { pgError } from '../../sinks/postgres/errors.js';
import { ensureCa, issueCertificate } from '../../stack/tls.js';
import { ThrowawayPostgres } from '../helpers/throwaway-postgres.js';

/** `url` with TLS parameters. */
function withTls(url: string, params: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

/** Connect, ask whether the session is encrypted, disconnect; or the connection error as pgError. */
async function sslOf(url: string): Promise<boolean> {
  const c = pgClient(url, { connectionTimeoutMillis: 10_000 });
  try {
    await c.connect();
    const r = await c.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    return r.rows[0]?.ssl ?? false;
  } catch (err) {
    throw pgError('could not connect', err);
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function refusal(url: string): Promise<{ line: string; retriable: boolean }> {
  try {
    await sslOf(url);
  } catch (err) {
    if (!isEtlError(err)) throw err;
    return { line: err.toLine(), retriable: err.retriable };
  }
  throw new Error('expected the connection to be refused');
}

describe('native Postgres over TLS (sslmode=verify-full)', () => {
  let db: ThrowawayPostgres;
  let other: string;

  beforeAll(async () => {
    db = await ThrowawayPostgres.create();
    other = mkdtempSync(join(tmpdir(), 'pg-other-ca-'));
  });
  afterAll(async () => {
    await db?.destroy();
    if (other) rmSync(other, { recursive: true, force: true });
  });

  it('connects with verify-full against the generated CA, by IP and by name, encrypted', async () => {
    const url = withTls(db.databaseUrl, { sslmode: 'verify-full', sslrootcert: db.caFile });
    expect(await sslOf(url)).toBe(true);
    const byName = new URL(url);
    byName.hostname = 'localhost';
    expect(await sslOf(byName.toString())).toBe(true);
    // Every runtime role's URL takes the same parameters.
    const sink = withTls(db.roleUrls['SINK_POSTGRES_DATABASE_URL'] ?? '', {
      sslmode: 'verify-full',
      sslrootcert: db.caFile,
    });
    expect(await sslOf(sink)).toBe(true);
  });

  it('sslmode=disable stays plain text; the server offers TLS to whoever asks', async () => {
    expect(await sslOf(withTls(db.databaseUrl, { sslmode: 'disable' }))).toBe(false);
  });

  it('refuses a server certificate that another CA signed, and says so', async () => {
    const ca = ensureCa(other, 'some-other-ca');
    const r = await refusal(withTls(db.databaseUrl, { sslmode: 'verify-full', sslrootcert: ca }));
    expect(r.retriable).toBe(false);
    expect(r.line).toMatch(/TLS refused/);
    expect(r.line).toMatch(/not signed by the CA in sslrootcert/);
    expect(r.line).not.toContain(new URL(db.databaseUrl).password);
  });

  it('refuses a certificate issued for another host name with verify-full; verify-ca accepts it', async () => {
    // Same CA, but the server now presents a certificate for db.example only (reloaded with SIGHUP).
    const caDir = join(db.dir, 'conf', 'postgres-tls');
    const wrong = issueCertificate(caDir, 'wrong-host', { server: true, san: 'DNS:db.example' });
    const data = join(db.dir, 'data', 'postgres');
    // Written into the existing files: they keep the server's OS user as owner and mode 600.
    writeFileSync(join(data, 'server.crt'), readFileSync(wrong.cert));
    writeFileSync(join(data, 'server.key'), readFileSync(wrong.key));
    const admin = pgClient(db.adminUrl);
    await admin.connect();
    await admin.query('SELECT pg_reload_conf()');
    await admin.end();

    const full = withTls(db.databaseUrl, { sslmode: 'verify-full', sslrootcert: db.caFile });
    // The reload is asynchronous: wait until the new certificate is served (bounded).
    let r: { line: string; retriable: boolean } | undefined;
    for (let i = 0; i < 50 && r === undefined; i++) {
      r = await refusal(full).catch(() => undefined);
      if (r === undefined) await new Promise((res) => setTimeout(res, 200));
    }
    expect(r?.retriable).toBe(false);
    expect(r?.line).toMatch(/not issued for the host in the URL/);
    expect(r?.line).toMatch(/127\.0\.0\.1/);
    expect(await sslOf(withTls(db.databaseUrl, { sslmode: 'verify-ca', sslrootcert: db.caFile }))).toBe(true);
  });
});
