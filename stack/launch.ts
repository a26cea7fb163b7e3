/**
 * Start one native component detached (log and PID file under .stack/) and wait until it is
 * healthy; a component that exits or stays unhealthy past its start timeout is killed and reported
 * with the tail of its log. Used by `stack up` for every component and by `connect start`.
 */
import { join } from 'node:path';
import { EtlError } from '../lib/errors.js';
import type { NativeComponent, StackContext } from './component.js';
import { isAlive, pidFileFor, removePidFile, startDetached, stopPid, tailFile } from './process.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { deadlineAfterProgress, describeProgress } from './start-progress.js';

export async function launchAndWait(ctx: StackContext, c: NativeComponent): Promise<void> {
  const logFile = join(ctx.paths.logs, `${c.name}.log`);
  const pidFile = pidFileFor(ctx.paths.run, c.name);
  const spec = c.launch(ctx);
  ctx.progress(`${c.name}: starting…`);
  const pid = startDetached({ name: c.name, ...spec, cwd: ctx.paths.root, logFile, pidFile });
  let died = false;
  let ok = false;
  const startedAt = Date.now();
  let deadline = startedAt + c.startTimeoutMs;
  let said: string | undefined;
  while (Date.now() <= deadline) {
    if (!isAlive(pid)) {
      died = true;
      break;
    }
    if (await c.healthy(ctx).catch(() => false)) {
      ok = true;
      break;
    }
    const progress = await c.progress?.(ctx).catch(() => undefined);
    if (progress !== undefined) {
      // Restoring or joining its group is progress, not a hang: wait on while it lasts (issue 16).
      deadline = deadlineAfterProgress(progress, {
        now: Date.now(),
        startedAt,
        startTimeoutMs: c.startTimeoutMs,
      });
      if (progress !== said) ctx.progress(`${c.name}: ${describeProgress(progress)}…`);
      said = progress;
    }
    await sleep(250);
  }
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
