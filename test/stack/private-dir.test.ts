/** stack/private-dir.ts: the directory itself is mode 700; the parents it had to make are not. */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirPrivate } from '../../stack/private-dir.js';
import { ensureCa } from '../../stack/tls.js';

const root = mkdtempSync(join(tmpdir(), 'private-dir-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('mkdirPrivate', () => {
  it('closes the directory to others, leaves the parents it creates enterable', () => {
    const dir = join(root, 'tmp', 'broker', 'tls');
    mkdirPrivate(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const parent of [join(root, 'tmp'), join(root, 'tmp', 'broker')])
      expect(statSync(parent).mode & 0o005, parent).toBe(0o005); // others may enter and list
    mkdirPrivate(dir); // again: nothing to do
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it("a CA made under a new throwaway directory leaves that directory's parent enterable (the postgres OS user's way in)", () => {
    const parent = join(root, 'stack-tmp');
    ensureCa(join(parent, 'broker-1', 'tls'), 'test CA');
    expect(statSync(join(parent, 'broker-1', 'tls')).mode & 0o777).toBe(0o700);
    expect(statSync(parent).mode & 0o005).toBe(0o005);
  });
});
