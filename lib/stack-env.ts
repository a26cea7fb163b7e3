/**
 * `make up` writes the running stack's addresses to `.stack/env`. Every command reads it, so
 * after `make up` `retail-etl producer run` needs no flags; variables already set win.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseEnvFile } from './env-file.js';
import { environment } from './config/index.js';

export function loadStackEnv(file: string, env: NodeJS.ProcessEnv = environment()): Record<string, string> {
  if (!existsSync(file)) return {};
  const values = parseEnvFile(readFileSync(file, 'utf8'));
  for (const [key, value] of Object.entries(values)) {
    if (env[key] === undefined || env[key] === '') env[key] = value;
  }
  return values;
}
