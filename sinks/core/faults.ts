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
  /**
   * SIGKILL inside the Nth write that carries rows, right after its first piece of data reached the
   * target (MidWriteFault): nothing of it committed in Postgres, one insert of it in ClickHouse.
   */
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

/**
 * The one mid-write fault point every target shares. A target calls `begin` once per writeBatch
 * and the returned `sent` after each piece of data it hands to the target (a COPY chunk, a
 * statement, an insert); the first `sent` of the Nth write with rows SIGKILLs.
 */
export class MidWriteFault {
  private writes = 0;

  constructor(
    private readonly killAt: number | undefined = faultsFromEnv().killMidWrite,
    private readonly kill: (reason: string) => void = killNow,
  ) {}

  begin(rows: number): () => void {
    if (rows === 0) return () => undefined;
    const n = ++this.writes;
    if (this.killAt !== n) return () => undefined;
    let fired = false;
    return () => {
      if (fired) return;
      fired = true;
      this.kill(`in the middle of write ${n}`);
    };
  }
}
