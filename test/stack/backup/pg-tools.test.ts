import { describe, expect, it } from 'vitest';
import { libpqEnv, withDatabase } from '../../../stack/backup/pg-tools.js';

describe('libpqEnv', () => {
  it('puts the login in libpq variables and keeps the password out of the printable label', () => {
    const r = libpqEnv('postgres://retail:s3cr%40t@127.0.0.1:5433/retail?sslmode=require');
    expect(r.env).toEqual({
      PGHOST: '127.0.0.1',
      PGPORT: '5433',
      PGDATABASE: 'retail',
      PGUSER: 'retail',
      PGPASSWORD: 's3cr@t',
      PGSSLMODE: 'require',
    });
    expect(r.label).toBe('127.0.0.1:5433/retail');
    expect(r.label).not.toContain('s3cr');
  });

  it('refuses a URL of another scheme with CONFIG_INVALID', () => {
    expect(() => libpqEnv('mysql://u:p@h/db')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});

describe('withDatabase', () => {
  it('keeps server and login, changes the database', () => {
    expect(withDatabase('postgres://u:p@127.0.0.1:5432/retail', 'retail_restore_1')).toBe(
      'postgres://u:p@127.0.0.1:5432/retail_restore_1',
    );
  });
});
