import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, EtlError } from '../../lib/errors.js';
import { projectRoot } from '../../stack/paths.js';

describe('error codes', () => {
  it('docs/errors.md lists exactly the codes of lib/errors.ts, in order', () => {
    const doc = readFileSync(join(projectRoot(), 'docs', 'errors.md'), 'utf8');
    const documented = [...doc.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented).toEqual([...ERROR_CODES]);
  });

  it('renders one actionable line with the server code', () => {
    const err = new EtlError('POSTGRES_ERROR', 'COPY into sales_raw failed', {
      retriable: true,
      serverCode: '53100',
      hint: 'free disk space on the database host',
    });
    expect(err.toLine()).toBe(
      'POSTGRES_ERROR: COPY into sales_raw failed [server: 53100] — free disk space on the database host',
    );
    expect(err.retriable).toBe(true);
  });
});
