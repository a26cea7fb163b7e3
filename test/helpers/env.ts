/** Integration tests read the running stack's addresses and name everything they create uniquely. */
import { randomUUID } from 'node:crypto';
import { loadStackEnv } from '../../lib/stack-env.js';
import { stackPaths } from '../../stack/paths.js';

export function stackEnv(): Record<string, string> {
  loadStackEnv(stackPaths().envFile);
  const need = [
    'KAFKA_BROKERS',
    'SCHEMA_REGISTRY_URL',
    'DATABASE_URL',
    'DATABASE_ADMIN_URL',
    'PROMETHEUS_URL',
  ];
  const env: Record<string, string> = {};
  for (const key of need) {
    const value = process.env[key];
    if (!value) throw new Error(`${key} is not set: run the integration tests through \`make test\``);
    env[key] = value;
  }
  return env;
}

/** A unique, identifier-safe name: `prefix_<12 hex>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}
