/**
 * What `make demo` (bench/demo.ts) reads from the environment: the rates of its own pipeline's
 * producer, how long each live step watches, how often a live line is printed, and the ports.
 * `--fast` (the end-to-end test) shortens the steps and lowers the rates; these stay the defaults.
 */
import type { ConfigOf, Schema } from './schema.js';
import { environment } from './environment.js';
import { resolveConfig } from './schema.js';

export const DEMO_SCHEMA = {
  rate: {
    type: 'int',
    env: 'DEMO_RATE',
    default: 300,
    min: 1,
    doc: 'events per second the demo pipeline’s producer starts at',
  },
  peakRate: {
    type: 'int',
    env: 'DEMO_PEAK_RATE',
    default: 2000,
    min: 1,
    doc: 'events per second the demo raises its producer to (step 2) and keeps while it kills processes',
  },
  stepS: {
    type: 'int',
    env: 'DEMO_STEP_S',
    default: 25,
    min: 3,
    doc: 'seconds each live step of the demo watches throughput and lag',
  },
  tickS: {
    type: 'int',
    env: 'DEMO_TICK_S',
    default: 3,
    min: 1,
    doc: 'seconds between two live lines (throughput and lag from the processes’ /metrics)',
  },
  drainS: {
    type: 'int',
    env: 'DEMO_DRAIN_S',
    default: 180,
    min: 10,
    doc: 'longest wait for every consumer group of the demo pipeline to catch up before the proof',
  },
  portBase: {
    type: 'int',
    env: 'DEMO_PORT_BASE',
    min: 1024,
    max: 65_000,
    doc: 'first of consecutive 127.0.0.1 ports for the demo pipeline’s processes (default: any free ports)',
  },
} as const satisfies Schema;

export type DemoConfig = ConfigOf<typeof DEMO_SCHEMA>;

export function demoConfig(env: NodeJS.ProcessEnv = environment()): DemoConfig {
  return resolveConfig('demo', DEMO_SCHEMA, {}, env);
}
