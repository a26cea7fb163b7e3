/** Integration tests read the running stack's addresses and name everything they create uniquely. */
import { loadStackEnv } from '../../lib/stack-env.js';
import { stackPaths } from '../../stack/paths.js';

const NEEDED = [
  'KAFKA_BROKERS',
  'SCHEMA_REGISTRY_URL',
  'DATABASE_URL',
  'DATABASE_ADMIN_URL',
  'PROMETHEUS_URL',
] as const;

export type StackEnv = Record<(typeof NEEDED)[number], string>;

export function stackEnv(): StackEnv {
  loadStackEnv(stackPaths().envFile);
  const env: Partial<StackEnv> = {};
  for (const key of NEEDED) {
    const value = process.env[key];
    if (!value) throw new Error(`${key} is not set: run the integration tests through \`make test\``);
    env[key] = value;
  }
  return env as StackEnv;
}

export { uniqueName } from '../../bench/lib/names.js';
