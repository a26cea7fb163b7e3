/**
 * Fault injection for the crash tests, read from the environment (docs/sinks.md#fault-injection).
 * Each one SIGKILLs the process itself at an exact point no external timing could hit reliably.
 * Never set in production; unset means no fault.
 */
export interface Faults {
  /** SIGKILL after the Nth batch is written to the target, before its Kafka commit. */
  killAfterWrites: number | undefined;
  /** SIGKILL in the middle of the Nth COPY / insert (half the payload sent, nothing committed). */
  killMidWrite: number | undefined;
}

const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));

export function faultsFromEnv(env: NodeJS.ProcessEnv = process.env): Faults {
  return {
    killAfterWrites: num(env['RETAIL_ETL_FAULT_KILL_AFTER_WRITES']),
    killMidWrite: num(env['RETAIL_ETL_FAULT_KILL_MID_WRITE']),
  };
}

export function killNow(reason: string): never {
  process.stderr.write(JSON.stringify({ level: 'warn', msg: `fault injection: SIGKILL ${reason}` }) + '\n');
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
}
