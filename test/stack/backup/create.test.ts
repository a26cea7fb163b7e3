import { describe, expect, it } from 'vitest';
import { defaultArchiveName } from '../../../stack/backup/create.js';

describe('defaultArchiveName', () => {
  it('names the archive by its UTC time, so names sort by time', () => {
    expect(defaultArchiveName(new Date('2026-12-02T09:41:07.123Z'))).toBe('retail-etl-20261202T094107Z.tar');
    const names = ['2026-12-02T10:00:00Z', '2026-11-30T23:59:59Z'].map((t) =>
      defaultArchiveName(new Date(t)),
    );
    expect([...names].sort()).toEqual([names[1], names[0]]);
  });
});
