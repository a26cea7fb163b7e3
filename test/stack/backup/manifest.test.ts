import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../../stack/backup/manifest.js';
import { compareMeasures, parseManifest } from '../../../stack/backup/manifest.js';

const measures = (): Pick<Manifest, 'tables' | 'offsets'> => ({
  tables: [
    {
      schema: 's',
      table: 'sales_raw',
      rows: '3',
      sums: { quantity: '7', revenue_cents: '12345678901234567890' },
      distinct: { event_id: '3' },
    },
  ],
  offsets: [{ schema: 's', table: 'sink_offsets', groupId: 'g', topic: 't', partition: 0, nextOffset: '3' }],
});

describe('compareMeasures', () => {
  it('finds nothing when rows, sums, distinct counts and offsets are equal', () => {
    expect(compareMeasures(measures(), measures())).toEqual([]);
  });

  it('names each difference: rows, an exact sum beyond 2^53, a distinct count, a missing table, offsets', () => {
    const actual = measures();
    const t = actual.tables[0]!;
    t.rows = '4';
    t.sums['revenue_cents'] = '12345678901234567891';
    t.distinct['event_id'] = '2';
    actual.offsets[0]!.nextOffset = '4';
    actual.offsets.push({
      schema: 's',
      table: 'sink_offsets',
      groupId: 'g',
      topic: 't',
      partition: 1,
      nextOffset: '1',
    });
    const expected = measures();
    expected.tables.push({ schema: 's', table: 'gone', rows: '0', sums: {}, distinct: {} });
    expect(compareMeasures(expected, actual)).toEqual([
      's.sales_raw: 4 rows, manifest 3',
      's.sales_raw: sums.revenue_cents = 12345678901234567891, manifest 12345678901234567890',
      's.sales_raw: distinct.event_id = 2, manifest 3',
      's.gone: missing after restore',
      'offset s.sink_offsets g t[0]: 4, manifest 3',
      'offset s.sink_offsets g t[1]: 1, not in the manifest',
    ]);
  });
});

describe('parseManifest', () => {
  const valid = {
    format: 'retail-etl-backup',
    version: 1,
    postgres: { measuredSchemas: [] },
    files: [{ path: 'database.dump', bytes: 1, sha256: 'x' }],
    tables: [],
    offsets: [],
  };

  it('accepts a manifest of this format and version', () => {
    expect(parseManifest(JSON.stringify(valid)).files).toHaveLength(1);
  });

  it.each([
    ['not JSON', '{', /not JSON/],
    ['another format', JSON.stringify({ ...valid, format: 'other' }), /not a retail-etl-backup manifest/],
    ['a newer version', JSON.stringify({ ...valid, version: 2 }), /version 2 is not supported/],
    ['no dump', JSON.stringify({ ...valid, files: [] }), /lists no database.dump/],
  ])('refuses %s with BACKUP_INVALID', (_what, text, message) => {
    expect(() => parseManifest(text)).toThrow(message);
    expect(() => parseManifest(text)).toThrow(expect.objectContaining({ code: 'BACKUP_INVALID' }));
  });
});
