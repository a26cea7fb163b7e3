/** `retail-etl sink <args>` as a real process (for kill -9 tests), on the shared CLI launcher. */
import type { CliProcess } from '../../stack/cli-process.js';
import { startCli } from '../../stack/cli-process.js';

export interface SinkChild extends CliProcess {
  /** Every line the sink printed so far (the launcher's live `lines`). */
  log: string[];
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

export function spawnSink(args: string[], env: Record<string, string | undefined>): SinkChild {
  const proc = startCli(['sink', ...args], { env, logLevel: 'info' });
  return Object.assign(proc, {
    log: proc.lines,
    waitForLog: (pattern: RegExp, timeoutMs?: number) =>
      proc.waitFor(pattern, timeoutMs).then(() => undefined),
  });
}

/** Test teardown: every sink still running is thawed (a frozen zombie) and killed, and awaited. */
export async function killSinks(children: SinkChild[]): Promise<void> {
  for (const c of children) {
    if (c.child.exitCode === null && c.child.signalCode === null) {
      c.child.kill('SIGCONT');
      c.child.kill('SIGKILL');
      await c.exited;
    }
  }
}
