/** The archive round trip with the system's tar (no servers): manifest first, checksums enforced. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileEntry, pack, readManifestText, unpack } from '../../../stack/backup/archive.js';

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'archive-test-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function archiveOf(dump: string) {
  const src = temp();
  mkdirSync(join(src, 'registry'));
  writeFileSync(join(src, 'database.dump'), dump);
  writeFileSync(join(src, 'registry', 'schemas.json'), '[]');
  const files = [await fileEntry(src, 'database.dump'), await fileEntry(src, 'registry/schemas.json')];
  writeFileSync(join(src, 'manifest.json'), JSON.stringify({ files }));
  const file = join(temp(), 'b.tar');
  await pack(src, ['database.dump', 'registry/schemas.json'], file);
  return { file, files };
}

describe('backup archive', () => {
  it('reads the manifest without unpacking and unpacks files matching their checksums', async () => {
    const { file, files } = await archiveOf('dump bytes');
    expect(JSON.parse(await readManifestText(file))).toEqual({ files });
    const out = temp();
    await unpack(file, out, files);
    expect((await fileEntry(out, 'database.dump')).sha256).toBe(files[0]?.sha256);
  });

  it('refuses a file whose checksum differs from the manifest (BACKUP_INVALID)', async () => {
    const { file, files } = await archiveOf('dump bytes');
    const tampered = files.map((f) => (f.path === 'database.dump' ? { ...f, sha256: '0'.repeat(64) } : f));
    await expect(unpack(file, temp(), tampered)).rejects.toMatchObject({
      code: 'BACKUP_INVALID',
      message: expect.stringMatching(/database.dump does not match its checksum/),
    });
  });

  it('refuses a path that is not an archive (BACKUP_INVALID)', async () => {
    const notTar = join(temp(), 'x.tar');
    writeFileSync(notTar, 'not a tar file');
    await expect(readManifestText(notTar)).rejects.toMatchObject({ code: 'BACKUP_INVALID' });
    await expect(readManifestText(join(temp(), 'missing.tar'))).rejects.toMatchObject({
      code: 'BACKUP_INVALID',
    });
  });
});
