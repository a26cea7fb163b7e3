/**
 * What `make bench` reads from the environment, declared through the config mechanism so it is
 * validated and listed in docs/configuration.md. Values that depend on --quick stay optional here:
 * each benchmark picks its quick or full default when unset.
 */
import type { ConfigOf, Schema } from './schema.js';
import { environment } from './environment.js';
import { resolveConfig } from './schema.js';

export const BENCH_SCHEMA = {
  only: { type: 'string', env: 'BENCH', doc: 'comma-separated benchmark names to run (default: all)' },
  quick: { type: 'bool', env: 'BENCH_QUICK', default: false, doc: 'smaller runs (CI smoke)' },
  e2eRates: {
    type: 'string',
    env: 'E2E_RATES',
    doc: 'e2e: comma-separated steady rates to try (events/s)',
  },
  e2eStepSeconds: { type: 'int', env: 'E2E_STEP_SECONDS', min: 1, doc: 'e2e: seconds per rate step' },
  e2eSoakSeconds: {
    type: 'int',
    env: 'E2E_SOAK_SECONDS',
    min: 0,
    doc: 'e2e: soak at the highest passing rate',
  },
  queriesDuration: { type: 'string', env: 'QUERIES_DURATION', doc: 'queries: k6 duration (e.g. 60s)' },
  queriesRps: {
    type: 'int',
    env: 'QUERIES_RPS',
    default: 200,
    min: 1,
    doc: 'queries: k6 requests per second',
  },
  connectEvents: {
    type: 'int',
    env: 'BENCH_CONNECT_EVENTS',
    min: 1,
    doc: 'connect-jdbc: events drained by each contender',
  },
  connectTasks: {
    type: 'string',
    env: 'BENCH_CONNECT_TASKS',
    default: '1,2',
    doc: 'connect-jdbc: comma-separated tasks.max values to measure',
  },
  pipelineRates: {
    type: 'string',
    env: 'BENCH_PIPELINE_RATES',
    doc: 'pipeline: comma-separated steady rates of the ladder (events/s)',
  },
  pipelineStepSeconds: {
    type: 'int',
    env: 'BENCH_PIPELINE_STEP_S',
    min: 1,
    doc: 'pipeline: seconds per ladder step',
  },
  pipelineCpuSeconds: {
    type: 'int',
    env: 'BENCH_PIPELINE_CPU_S',
    min: 1,
    doc: 'pipeline: seconds of each CPU window (100 events/s, paused)',
  },
  pipelineSoakSeconds: {
    type: 'int',
    env: 'BENCH_PIPELINE_SOAK_S',
    min: 1,
    doc: 'pipeline: soak at the highest sustained rate',
  },
  pipelineDrainSeconds: {
    type: 'int',
    env: 'BENCH_PIPELINE_DRAIN_S',
    min: 1,
    doc: 'pipeline: how long the soak waits for every group to drain after the pause (default 600, 120 quick); a stall is reported as a figure with the groups behind',
  },
  restoreKeep: {
    type: 'bool',
    env: 'BENCH_RESTORE_KEEP',
    default: false,
    doc: 'processor-restore: keep the changelog topic it built and print the command that restores it again (node dist/bench/lib/restore-child.js <prefix>, e.g. under --cpu-prof)',
  },
} as const satisfies Schema;

export type BenchConfig = ConfigOf<typeof BENCH_SCHEMA>;

export function benchConfig(env: NodeJS.ProcessEnv = environment()): BenchConfig {
  return resolveConfig('bench', BENCH_SCHEMA, {}, env);
}
