/**
 * A directory only its owner may enter (mode 700), its missing parents made with the usual mode.
 * `mkdirSync(dir, { recursive: true, mode: 0o700 })` gives every parent it creates mode 700 too:
 * a first secured broker under `.stack/tmp` then left `.stack/tmp` closed to the postgres OS user,
 * and every later server there failed to start.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export function mkdirPrivate(dir: string): void {
  mkdirSync(dirname(dir), { recursive: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}
