/**
 * Keeps a set of detached processes running: one watch loop per process checks, every second,
 * that its PID is alive and that it answers its liveness probe. A process that exited, or stopped
 * answering for `unhealthyAfterMs`, is killed (-9) and started again after an exponential backoff,
 * then waited for until ready — a process that says it is restoring its state is waited for as
 * long as it stays alive, one joining its consumer group a bounded while longer
 * (stack/start-progress.ts). Restarts are counted. A process that fails `crashLoopAfter` starts in a
 * row (exited, or not ready in time, while its dependencies were up) is left down in state
 * `crash-loop` with the last lines of its log; it is watched again once something else (`make up`)
 * brings it back. A start while a dependency is down (the pipeline while Kafka restarts) waits and
 * does not count towards the crash loop.
 *
 * Used by `retail-etl stack supervise` (what `make up` starts) and by `make chaos` for the
 * pipeline processes it runs itself.
 */
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, tailFile } from './process.js';
import { deadlineAfterProgress, parseStartProgress } from './start-progress.js';

export type Readiness = { ready: true } | { ready: false; progress?: string };

export interface SupervisedProcess {
  name: string;
  /** PID of the running instance, if one was started (its PID file). */
  pid(): number | undefined;
  /** Start a new instance (detached, writes its PID file); returns its PID. */
  start(): number;
  /** Alive and answering (for pipeline processes /healthz, for servers their health check). */
  live(): Promise<boolean>;
  ready(): Promise<Readiness>;
  /** Only (re)started while this holds, e.g. the pipeline once the servers are healthy. */
  dependenciesUp?(): Promise<boolean>;
  startTimeoutMs: number;
  logFile: string;
}

export interface SupervisorOptions {
  /** First restart delay; doubles with each failed start in a row. */
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** Failed starts in a row after which the process is left down (crash loop). */
  crashLoopAfter: number;
  /** A live process that fails its probe this long is killed and restarted. */
  unhealthyAfterMs: number;
  /** Healthy this long after a start: the failed-start count goes back to 0. */
  stableAfterMs: number;
  /** Pause between checks that the PID is alive (a signal 0: free). */
  intervalMs: number;
  /**
   * How often a healthy process's liveness probe runs (default: every check). The probes cost:
   * a server's is a real client session (a Kafka admin, a TLS + SCRAM Postgres login); run every
   * second for a dozen processes they kept ~5 % of a core busy on a stack at rest.
   */
  probeIntervalMs?: number;
}

export const DEFAULT_SUPERVISOR_OPTIONS: SupervisorOptions = {
  backoffInitialMs: 1000,
  backoffMaxMs: 30_000,
  crashLoopAfter: 5,
  unhealthyAfterMs: 30_000,
  stableAfterMs: 60_000,
  intervalMs: 1000,
  probeIntervalMs: 5000,
};

export type ProcessState =
  'healthy' | 'starting' | 'restoring' | 'joining' | 'backoff' | 'waiting' | 'crash-loop';

export interface ProcessStatus {
  name: string;
  state: ProcessState;
  pid: number | undefined;
  restarts: number;
  /** Failed starts in a row (reset once healthy for stableAfterMs). */
  failures: number;
  /** Milliseconds from the last time it went down to healthy again. */
  lastRecoveryMs: number | undefined;
  lastRestartAt: string | undefined;
  /** Why it went down last: exited, unresponsive, start failed… */
  lastReason: string | undefined;
  /** For a crash loop: the last lines of its log. */
  logTail: string | undefined;
  /** What a process still starting says it is doing (`restoring 63 %`, `joining consumer group …`). */
  progress: string | undefined;
}

export interface SupervisorEvents {
  log(message: string): void;
  /** Called after every state change (persist it, export it). */
  changed(status: ProcessStatus): void;
}

/** Delay before the n-th failed start in a row (n ≥ 1). */
export function backoffDelay(failures: number, options: SupervisorOptions): number {
  const exp = options.backoffInitialMs * 2 ** Math.max(0, failures - 1);
  return Math.min(options.backoffMaxMs, exp);
}

export class Supervisor {
  private readonly statuses = new Map<string, ProcessStatus>();
  private stopping = false;
  private readonly loops: Promise<void>[] = [];
  private readonly wake = new AbortController();

  constructor(
    private readonly processes: SupervisedProcess[],
    private readonly options: SupervisorOptions,
    private readonly events: SupervisorEvents,
  ) {
    // Every watch loop waits on the one wake-up signal: not a leak, one listener per process.
    setMaxListeners(processes.length + 10, this.wake.signal);
    for (const p of processes) {
      const pid = p.pid();
      this.statuses.set(p.name, {
        name: p.name,
        // Not started yet (no live PID): 'starting' until the first start is ready.
        state: pid !== undefined && isAlive(pid) ? 'healthy' : 'starting',
        pid,
        restarts: 0,
        failures: 0,
        lastRecoveryMs: undefined,
        lastRestartAt: undefined,
        lastReason: undefined,
        logTail: undefined,
        progress: undefined,
      });
    }
  }

  status(): ProcessStatus[] {
    return [...this.statuses.values()].map((s) => ({ ...s }));
  }

  run(): void {
    for (const p of this.processes) this.loops.push(this.watch(p));
  }

  /** Stop watching (the processes keep running). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake.abort();
    await Promise.all(this.loops);
  }

  private async pause(ms: number): Promise<void> {
    if (this.stopping) return;
    await sleep(ms, undefined, { signal: this.wake.signal }).catch(() => undefined);
  }

  private update(p: SupervisedProcess, patch: Partial<ProcessStatus>): ProcessStatus {
    const s = this.statuses.get(p.name)!;
    Object.assign(s, patch);
    this.events.changed({ ...s });
    return s;
  }

  private async watch(p: SupervisedProcess): Promise<void> {
    const o = this.options;
    let lastLive = Date.now();
    let lastProbe = 0;
    let healthySince: number | undefined = Date.now();
    let downSince: number | undefined;
    /** Set once this supervisor started the process and it became ready. */
    let startedHere = false;
    while (!this.stopping) {
      const s = this.statuses.get(p.name)!;
      const pid = p.pid();
      if (pid !== undefined && isAlive(pid)) {
        // Healthy and probed recently: the PID check is enough until the next probe is due.
        if (s.state === 'healthy' && Date.now() - lastProbe < (o.probeIntervalMs ?? 0)) {
          await this.pause(o.intervalMs);
          continue;
        }
        lastProbe = Date.now();
        if (await p.live().catch(() => false)) {
          lastLive = Date.now();
          if (s.state !== 'healthy' && s.state !== 'starting' && (await this.isReady(p))) {
            // Back by other means (`make up` after a crash loop) or recovered after a probe failure.
            const reset = s.state === 'crash-loop' ? { failures: 0 } : {};
            this.update(p, { state: 'healthy', pid, logTail: undefined, progress: undefined, ...reset });
            healthySince = Date.now();
          }
          if (healthySince !== undefined && s.failures > 0 && Date.now() - healthySince > o.stableAfterMs)
            this.update(p, { failures: 0 });
        } else if (Date.now() - lastLive > o.unhealthyAfterMs) {
          this.events.log(`${p.name}: no answer for ${o.unhealthyAfterMs / 1000} s: killing pid ${pid}`);
          kill(pid);
          this.update(p, { lastReason: 'unresponsive' });
          downSince = Date.now();
          healthySince = undefined;
        }
        await this.pause(o.intervalMs);
        continue;
      }

      // Down: exited, killed, or never started.
      if (s.state === 'crash-loop') {
        await this.pause(o.intervalMs);
        continue;
      }
      if (downSince === undefined) {
        downSince = Date.now();
        if (s.state === 'healthy') {
          this.events.log(`${p.name}: pid ${pid ?? '—'} is gone`);
          // Gone soon after a start counts like a failed start: a process that crashes a few
          // seconds after every start is a crash loop too.
          const quick =
            startedHere && healthySince !== undefined && Date.now() - healthySince < o.stableAfterMs;
          this.update(p, { lastReason: 'exited', pid: undefined, failures: s.failures + (quick ? 1 : 0) });
        }
        healthySince = undefined;
      }
      if (p.dependenciesUp && !(await p.dependenciesUp().catch(() => false))) {
        if (s.state !== 'waiting') this.update(p, { state: 'waiting' });
        await this.pause(o.intervalMs);
        continue;
      }
      if (s.failures >= o.crashLoopAfter) {
        const logTail = tailFile(p.logFile);
        this.events.log(
          `${p.name}: crash loop — ${s.failures} failed starts in a row; left down (run \`make up\` once fixed). Last lines of ${p.logFile}:\n${logTail}`,
        );
        this.update(p, { state: 'crash-loop', logTail });
        continue;
      }
      if (s.failures > 0 || s.lastReason !== undefined) {
        const delay = s.failures === 0 ? 0 : backoffDelay(s.failures, o);
        if (delay > 0) {
          this.update(p, { state: 'backoff' });
          await this.pause(delay);
          if (this.stopping) break;
        }
      }
      const outcome = await this.restart(p);
      if (outcome === 'healthy') {
        startedHere = true;
        lastLive = Date.now();
        healthySince = Date.now();
        this.update(p, { lastRecoveryMs: Date.now() - downSince, failures: s.failures });
        downSince = undefined;
      } else {
        // A start that failed while a dependency went down is not the process's fault.
        const depsUp = p.dependenciesUp ? await p.dependenciesUp().catch(() => false) : true;
        if (depsUp) this.update(p, { failures: s.failures + 1, lastReason: outcome });
      }
    }
  }

  private async isReady(p: SupervisedProcess): Promise<boolean> {
    return (await p.ready().catch(() => ({ ready: false }) as Readiness)).ready;
  }

  /** Start once and wait until ready: 'healthy', or why not. */
  private async restart(
    p: SupervisedProcess,
  ): Promise<'healthy' | 'exited during start' | 'start timed out'> {
    const s = this.statuses.get(p.name)!;
    // A PID file means it ran before: this is a restart. The very first start is not counted.
    const restart = p.pid() !== undefined;
    const pid = p.start();
    this.update(p, {
      state: 'starting',
      pid,
      restarts: s.restarts + (restart ? 1 : 0),
      lastRestartAt: new Date().toISOString(),
      progress: undefined,
    });
    this.events.log(`${p.name}: ${restart ? `restarted (restart ${s.restarts})` : 'started'}, pid ${pid}`);
    const startedAt = Date.now();
    let deadline = startedAt + p.startTimeoutMs;
    while (!this.stopping) {
      if (!isAlive(pid)) {
        this.events.log(`${p.name}: exited during start; last lines:\n${tailFile(p.logFile, 5)}`);
        this.update(p, { pid: undefined });
        return 'exited during start';
      }
      const r = await p.ready().catch(() => ({ ready: false }) as Readiness);
      if (r.ready) {
        this.update(p, { state: 'healthy', progress: undefined });
        this.events.log(`${p.name}: healthy again (pid ${pid})`);
        return 'healthy';
      }
      if (r.progress !== undefined) {
        // Restoring state or joining the group is progress, not a hang: the deadline moves.
        const progress = r.progress;
        deadline = deadlineAfterProgress(progress, {
          now: Date.now(),
          startedAt,
          startTimeoutMs: p.startTimeoutMs,
        });
        const state = parseStartProgress(progress)?.kind ?? 'restoring';
        if (s.progress !== progress) this.update(p, { state, progress });
      }
      if (Date.now() > deadline) {
        this.events.log(`${p.name}: not ready after ${p.startTimeoutMs / 1000} s: killing pid ${pid}`);
        kill(pid);
        this.update(p, { pid: undefined });
        return 'start timed out';
      }
      await this.pause(250);
    }
    return 'healthy';
  }
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}
