/**
 * Fault injection for the crash tests, read from the environment (docs/configuration.md#faults).
 * Each one SIGKILLs the process itself at an exact point no external timing could hit reliably.
 * Never set in production; unset means no fault.
 */
import type { Schema } from '../../lib/config/index.js';
import { environment, resolveConfig } from '../../lib/config/index.js';

export interface Faults {
  /** SIGKILL after the Nth batch is written to the target, before its Kafka commit. */
  killAfterWrites: number | undefined;
  /** SIGKILL in the middle of the Nth COPY / insert (half the payload sent, nothing committed). */
  killMidWrite: number | undefined;
}

/** Test-only settings: declared like every other so they are validated and documented. */
export const FAULTS_SCHEMA = {
  killAfterWrites: {
    type: 'int',
    env: 'RETAIL_ETL_FAULT_KILL_AFTER_WRITES',
    min: 1,
    doc: 'test only: SIGKILL the sink after its Nth batch is written, before the Kafka commit',
  },
  killMidWrite: {
    type: 'int',
    env: 'RETAIL_ETL_FAULT_KILL_MID_WRITE',
    min: 1,
    doc: 'test only: SIGKILL the sink in the middle of its Nth COPY / insert',
  },
} as const satisfies Schema;

export function faultsFromEnv(env: NodeJS.ProcessEnv = environment()): Faults {
  return resolveConfig('faults', FAULTS_SCHEMA, {}, env);
}

export function killNow(reason: string): never {
  process.stderr.write(JSON.stringify({ level: 'warn', msg: `fault injection: SIGKILL ${reason}` }) + '\n');
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
}
