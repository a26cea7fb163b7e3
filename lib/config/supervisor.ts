/**
 * What the stack's supervisor (`retail-etl stack supervise`, started by `make up`) and the chaos
 * soak (`make chaos`) read from the environment.
 */
import type { ConfigOf, Schema } from './schema.js';
import { environment } from './environment.js';
import { resolveConfig } from './schema.js';

export const SUPERVISOR_SCHEMA = {
  backoffInitialMs: {
    type: 'int',
    env: 'SUPERVISOR_BACKOFF_INITIAL_MS',
    default: 1000,
    min: 1,
    doc: 'delay before the second restart in a row of a process (the first is immediate); doubles with each failed start',
  },
  backoffMaxMs: {
    type: 'int',
    env: 'SUPERVISOR_BACKOFF_MAX_MS',
    default: 30_000,
    min: 1,
    doc: 'longest delay between restarts of one process',
  },
  crashLoopAfter: {
    type: 'int',
    env: 'SUPERVISOR_CRASH_LOOP_AFTER',
    default: 5,
    min: 1,
    doc: 'failed starts in a row (while the servers it needs are up) after which a process is left down as a crash loop',
  },
  unhealthyAfterMs: {
    type: 'int',
    env: 'SUPERVISOR_UNHEALTHY_AFTER_MS',
    default: 30_000,
    min: 1000,
    doc: 'a running process that fails its liveness probe (/healthz, or the server’s health check) this long is killed and restarted',
  },
  probeIntervalMs: {
    type: 'int',
    env: 'SUPERVISOR_PROBE_INTERVAL_MS',
    default: 5000,
    min: 100,
    doc: 'how often the liveness probe of a healthy process runs (its PID is checked every second regardless); each server probe is a real client session, so every second costs CPU at rest',
  },
  metricsPort: {
    type: 'int',
    env: 'SUPERVISOR_METRICS_PORT',
    default: 9407,
    min: 1,
    max: 65_535,
    doc: 'the supervisor’s /metrics port on 127.0.0.1 (restart counts; Prometheus scrapes 9407)',
  },
} as const satisfies Schema;

export type SupervisorConfig = ConfigOf<typeof SUPERVISOR_SCHEMA>;

export function supervisorConfig(env: NodeJS.ProcessEnv = environment()): SupervisorConfig {
  return resolveConfig('supervisor', SUPERVISOR_SCHEMA, {}, env);
}

export const CHAOS_SCHEMA = {
  durationS: {
    type: 'int',
    env: 'CHAOS_DURATION_S',
    default: 600,
    min: 10,
    doc: 'how long events are produced and processes killed',
  },
  rate: {
    type: 'int',
    env: 'CHAOS_RATE',
    default: 5000,
    min: 1,
    doc: 'events per second the chaos pipeline’s producer sends',
  },
  killEveryS: {
    type: 'int',
    env: 'CHAOS_KILL_EVERY_S',
    default: 30,
    min: 1,
    doc: 'seconds between two kills (-9) of a random process',
  },
  targets: {
    type: 'string',
    env: 'CHAOS_TARGETS',
    default: 'all',
    doc: 'comma-separated processes to kill: producer, serve, sink-postgres, processors, sink-aggregates, and sink-clickhouse, sink-aggregates-clickhouse when the stack runs ClickHouse (the chaos pipeline’s own), kafka, postgres, schema-registry, clickhouse (the stack’s servers, restarted by its supervisor); `all` = every one that runs, `pipeline` = the pipeline’s only',
  },
  portBase: {
    type: 'int',
    env: 'CHAOS_PORT_BASE',
    min: 1024,
    max: 65_000,
    doc: 'first of consecutive 127.0.0.1 ports for the chaos pipeline’s processes (default: any free ports)',
  },
  drainS: {
    type: 'int',
    env: 'CHAOS_DRAIN_S',
    default: 600,
    min: 10,
    doc: 'longest wait, after the last kill, for every consumer group to catch up before reconciling',
  },
} as const satisfies Schema;

export type ChaosConfig = ConfigOf<typeof CHAOS_SCHEMA>;

export function chaosConfig(env: NodeJS.ProcessEnv = environment()): ChaosConfig {
  return resolveConfig('chaos', CHAOS_SCHEMA, {}, env);
}
