import { describe, expect, it } from 'vitest';
import { defaultDatabaseName } from '../../../stack/backup/restore.js';

describe('defaultDatabaseName', () => {
  it('is a new name beside the live one, within Postgres’s 63 characters', () => {
    const at = new Date('2026-12-02T09:41:07Z');
    expect(defaultDatabaseName('retail', at)).toBe('retail_restore_20261202094107');
    const long = defaultDatabaseName('x'.repeat(63), at);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z_][a-z0-9_]*$/);
  });
});
