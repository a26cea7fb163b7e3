/**
 * Settings every process reads, whatever its component: where Kafka and the Schema Registry are,
 * which address servers bind, how much to log. Validated like any schema; resolved on use, since
 * library code (the Kafka client, the logger) has no start-up of its own to hang them on.
 */
import { environment } from './environment.js';
import {
  EVENT_MAX_FUTURE_MS,
  KAFKA_BROKERS,
  KAFKA_CONNECT_URL,
  LISTEN_HOST,
  LOG_LEVEL,
  SCHEMA_REGISTRY_URL,
} from './fields.js';
import type { ConfigOf } from './schema.js';
import { resolveConfig } from './schema.js';

export const SHARED_SCHEMA = {
  kafkaBrokers: KAFKA_BROKERS,
  schemaRegistryUrl: SCHEMA_REGISTRY_URL,
  kafkaConnectUrl: KAFKA_CONNECT_URL,
  listenHost: LISTEN_HOST,
  logLevel: LOG_LEVEL,
  eventMaxFutureMs: EVENT_MAX_FUTURE_MS,
} as const;

export type SharedConfig = ConfigOf<typeof SHARED_SCHEMA>;

/** One shared setting, validated (a bad value stops the process with the variable's name). */
export function sharedSetting<K extends keyof typeof SHARED_SCHEMA>(
  key: K,
  env: NodeJS.ProcessEnv = environment(),
): SharedConfig[K] {
  const one = { [key]: SHARED_SCHEMA[key] } as Pick<typeof SHARED_SCHEMA, K>;
  return (resolveConfig('shared', one, {}, env) as Pick<SharedConfig, K>)[key];
}

/** KAFKA_BROKERS as a list. */
export function kafkaBrokers(env: NodeJS.ProcessEnv = environment()): string[] {
  return sharedSetting('kafkaBrokers', env)
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
}
