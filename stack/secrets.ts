/** Generated once per stack and kept in .stack/secrets.env (mode 600); never printed. */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseEnvFile, formatEnvFile } from '../lib/env-file.js';

const NEEDED = ['POSTGRES_SUPERUSER_PASSWORD', 'POSTGRES_APP_PASSWORD', 'CLICKHOUSE_PASSWORD'] as const;

export function loadOrCreateSecrets(file: string): Record<string, string> {
  const secrets = existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : {};
  let changed = false;
  for (const key of NEEDED) {
    if (!secrets[key]) {
      secrets[key] = randomBytes(16).toString('hex');
      changed = true;
    }
  }
  if (changed) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, formatEnvFile(secrets), { mode: 0o600 });
  }
  return secrets;
}
