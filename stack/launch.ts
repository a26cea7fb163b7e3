/**
 * Start one native component detached (log and PID file under .stack/) and wait until it is
 * healthy; a component that exits or stays unhealthy past its start timeout is killed and reported
 * with the tail of its log. Used by `stack up` for every component and by `connect start`.
 */
import { join } from 'node:path';
import { EtlError } from '../lib/errors.js';
import type { NativeComponent, StackContext } from './component.js';
import { isAlive, pidFileFor, removePidFile, startDetached, stopPid, tailFile } from './process.js';
import { waitUntil } from './wait.js';

export async function launchAndWait(ctx: StackContext, c: NativeComponent): Promise<void> {
  const logFile = join(ctx.paths.logs, `${c.name}.log`);
  const pidFile = pidFileFor(ctx.paths.run, c.name);
  const spec = c.launch(ctx);
  ctx.progress(`${c.name}: starting…`);
  const pid = startDetached({ name: c.name, ...spec, cwd: ctx.paths.root, logFile, pidFile });
  let died = false;
  const ok = await waitUntil(
    async () => {
      if (!isAlive(pid)) {
        died = true;
        return true;
      }
      return c.healthy(ctx);
    },
    { timeoutMs: c.startTimeoutMs },
  );
  if (!ok || died) {
    await stopPid(pid, 'SIGKILL', 5000);
    removePidFile(pidFile);
    const what = died ? 'exited during start-up' : `was not healthy after ${c.startTimeoutMs / 1000} s`;
    throw new EtlError(
      'COMPONENT_START_FAILED',
      `${c.name} ${what}; last lines of ${logFile}:\n${tailFile(logFile)}`,
      {
        hint: 'fix the cause above, then run `make up` again',
      },
    );
  }
  ctx.progress(`${c.name}: healthy (pid ${pid})`);
}
