/**
 * How a Postgres URL's TLS parameters become node-postgres options (lib/postgres/connection.ts):
 * libpq's meaning of each sslmode, the environment's PGSSLMODE/PGSSLROOTCERT for a URL without
 * them, and refusals that name the parameter but never a password or a file's contents.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { pgConfig, pgTls } from '../../../lib/postgres/connection.js';

const dir = mkdtempSync(join(tmpdir(), 'pg-tls-unit-'));
const ca = join(dir, 'ca.crt');
writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nnot-a-real-one\n-----END CERTIFICATE-----\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = 'postgres://retail_sink:s3cret-pw@127.0.0.1:5432/retail';
const tls = (query: string, env: NodeJS.ProcessEnv = {}) => pgTls(new URL(`${base}${query}`), env);

describe('Postgres TLS settings', () => {
  it('no sslmode anywhere: no TLS', () => {
    expect(tls('')).toEqual({ mode: 'disable', ssl: false });
  });

  it('verify-full checks the CA and the host name (Node defaults: rejectUnauthorized, checkServerIdentity)', () => {
    const t = tls(`?sslmode=verify-full&sslrootcert=${ca}`);
    expect(t.mode).toBe('verify-full');
    expect(t.ssl).toMatchObject({ ca: expect.stringContaining('not-a-real-one') });
    expect(t.ssl).not.toHaveProperty('rejectUnauthorized');
    expect(t.ssl).not.toHaveProperty('checkServerIdentity');
  });

  it('verify-ca checks the CA but not the host name, and needs a CA', () => {
    const t = tls(`?sslmode=verify-ca&sslrootcert=${ca}`);
    expect(t.ssl && typeof t.ssl.checkServerIdentity).toBe('function');
    expect(t.ssl).not.toHaveProperty('rejectUnauthorized');
    expect(() => tls('?sslmode=verify-ca')).toThrow(/verify-ca needs sslrootcert/);
  });

  it('require encrypts without checking — unless a CA is given (then as verify-ca, like libpq)', () => {
    expect(tls('?sslmode=require').ssl).toMatchObject({ rejectUnauthorized: false });
    const withCa = tls(`?sslmode=require&sslrootcert=${ca}`).ssl;
    expect(withCa).not.toHaveProperty('rejectUnauthorized');
    expect(withCa && typeof withCa.checkServerIdentity).toBe('function');
  });

  it('takes PGSSLMODE and PGSSLROOTCERT when the URL has no sslmode; the URL wins', () => {
    const env = { PGSSLMODE: 'verify-full', PGSSLROOTCERT: ca };
    expect(tls('', env)).toMatchObject({ mode: 'verify-full', ssl: { ca: expect.any(String) } });
    expect(tls('?sslmode=disable', env)).toEqual({ mode: 'disable', ssl: false });
  });

  it('refuses an unknown mode and an unreadable file by name, never echoing the password', () => {
    expect(() => tls('?sslmode=verify-everything')).toThrow(/sslmode=verify-everything is not one of/);
    let message = '';
    try {
      tls(`?sslmode=verify-full&sslrootcert=${join(dir, 'missing.crt')}`);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/sslrootcert names .*missing\.crt, which cannot be read \(ENOENT\)/);
    expect(message).not.toContain('s3cret-pw');
    expect(() => pgConfig('not a url with s3cret-pw')).toThrow(/^(?!.*s3cret-pw)/);
  });

  it('hands node-postgres the URL without its TLS parameters (it would apply its own reading)', () => {
    const c = pgConfig<pg.PoolConfig>(
      `${base}?sslmode=verify-full&sslrootcert=${ca}&application_name=x`,
      { max: 3 },
      {},
    );
    expect(c.connectionString).toBe(`${base}?application_name=x`);
    expect(c).toMatchObject({ max: 3, ssl: { ca: expect.any(String) } });
  });
});

describe('one place opens Postgres connections', () => {
  it('no pipeline, stack or CLI source makes a pg.Client or pg.Pool but lib/postgres/connection.ts', () => {
    const root = join(import.meta.dirname, '..', '..', '..');
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.ts') && /new pg\.(Client|Pool)\(/.test(readFileSync(path, 'utf8')))
          offenders.push(relative(root, path));
      }
    };
    for (const top of ['api', 'cli', 'lib', 'processors', 'producer', 'sinks', 'stack'])
      walk(join(root, top));
    expect(offenders).toEqual(['lib/postgres/connection.ts']);
  });
});
