/**
 * One archive file per backup: a plain tar (the dump inside is already compressed) whose first
 * entry is manifest.json, so `tar -xOf <archive> manifest.json` shows what a backup holds without
 * unpacking the rest. Written to `<file>.partial` and renamed, so a half-written archive never
 * carries the final name. The system's tar does the packing.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EtlError } from '../../lib/errors.js';
import type { FileEntry } from './manifest.js';
import { ENTRIES } from './manifest.js';

function tar(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'ENOENT'
          ? new EtlError('DEPENDENCY_MISSING', 'tar not found', { hint: 'apt-get install -y tar' })
          : e,
      ),
    );
    child.on('close', (code) => {
      if (code === 0) return resolve(Buffer.concat(out).toString('utf8'));
      const message = Buffer.concat(err).toString('utf8').trim().split('\n').slice(-2).join(' | ');
      reject(new EtlError('BACKUP_INVALID', `tar ${args[0] ?? ''} failed: ${message}`));
    });
  });
}

/** Size and SHA-256 of `path` inside `dir`. */
export async function fileEntry(dir: string, path: string): Promise<FileEntry> {
  const full = join(dir, path);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(full)) hash.update(chunk as Buffer);
  return { path, bytes: statSync(full).size, sha256: hash.digest('hex') };
}

/** Pack `entries` of `dir` (manifest first) into `file`; returns the archive's size. */
export async function pack(dir: string, entries: readonly string[], file: string): Promise<number> {
  const partial = `${file}.partial`;
  const ordered = [ENTRIES.manifest, ...entries.filter((e) => e !== ENTRIES.manifest)];
  await tar(['-cf', partial, '-C', dir, '--owner=0', '--group=0', '--', ...ordered]);
  renameSync(partial, file);
  return statSync(file).size;
}

/** The manifest alone, read from the archive without unpacking it. */
export async function readManifestText(file: string): Promise<string> {
  try {
    statSync(file);
  } catch {
    throw new EtlError('BACKUP_INVALID', `no archive at ${file}`);
  }
  return tar(['-xOf', file, ENTRIES.manifest]);
}

/** Unpack the archive into `dir`, then check every file against the manifest's size and checksum. */
export async function unpack(file: string, dir: string, files: readonly FileEntry[]): Promise<void> {
  await tar(['-xf', file, '-C', dir, '--no-same-owner']);
  for (const f of files) {
    let actual: FileEntry;
    try {
      actual = await fileEntry(dir, f.path);
    } catch {
      throw new EtlError('BACKUP_INVALID', `the archive lacks ${f.path}, which its manifest lists`);
    }
    if (actual.sha256 !== f.sha256 || actual.bytes !== f.bytes)
      throw new EtlError(
        'BACKUP_INVALID',
        `${f.path} does not match its checksum in the manifest (damaged archive)`,
      );
  }
}
