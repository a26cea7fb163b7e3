/**
 * The supervisor's rules on real OS processes (`sleep`, `sh -c 'exit 3'`): a process killed -9
 * comes back and is counted, one that cannot start ends in a crash loop with its log's last lines,
 * one whose dependencies are down waits without counting, and the backoff doubles up to its cap.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isAlive, readPid, startDetached } from '../../stack/process.js';
import type { SupervisedProcess, SupervisorOptions } from '../../stack/supervisor.js';
import { backoffDelay, Supervisor } from '../../stack/supervisor.js';
import { waitUntil } from '../../stack/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'supervisor-test-'));
const supervisors: Supervisor[] = [];
const pids: number[] = [];

const FAST: SupervisorOptions = {
  backoffInitialMs: 50,
  backoffMaxMs: 200,
  crashLoopAfter: 3,
  unhealthyAfterMs: 300,
  stableAfterMs: 60_000,
  intervalMs: 50,
};

function proc(name: string, script: string, extra: Partial<SupervisedProcess> = {}): SupervisedProcess {
  const pidFile = join(dir, `${name}.pid`);
  const logFile = join(dir, `${name}.log`);
  return {
    name,
    logFile,
    startTimeoutMs: 5000,
    pid: () => readPid(pidFile),
    start: () => {
      const pid = startDetached({ name, command: 'sh', args: ['-c', script], cwd: dir, logFile, pidFile });
      pids.push(pid);
      return pid;
    },
    live: async () => {
      const pid = readPid(pidFile);
      return pid !== undefined && isAlive(pid);
    },
    ready: async () => ({ ready: true }),
    ...extra,
  };
}

function supervise(
  list: SupervisedProcess[],
  logs: string[] = [],
  options: SupervisorOptions = FAST,
): Supervisor {
  const s = new Supervisor(list, options, { log: (m) => logs.push(m), changed: () => undefined });
  supervisors.push(s);
  s.run();
  return s;
}

const statusOf = (s: Supervisor, name: string) => s.status().find((p) => p.name === name)!;

afterEach(async () => {
  for (const s of supervisors.splice(0)) await s.stop();
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Supervisor', { timeout: 30_000 }, () => {
  it('restarts a process killed with -9 and counts the restart', async () => {
    const p = proc('sleeper', 'exec sleep 60');
    const first = p.start();
    const s = supervise([p]);
    process.kill(first, 'SIGKILL');
    expect(await waitUntil(() => statusOf(s, 'sleeper').restarts === 1, { timeoutMs: 10_000 })).toBe(true);
    expect(await waitUntil(() => statusOf(s, 'sleeper').state === 'healthy', { timeoutMs: 10_000 })).toBe(
      true,
    );
    const second = p.pid()!;
    expect(second).not.toBe(first);
    expect(isAlive(second)).toBe(true);
    expect(statusOf(s, 'sleeper').lastReason).toBe('exited');
    expect(statusOf(s, 'sleeper').lastRecoveryMs).toBeGreaterThanOrEqual(0);
  });

  it('a process that exits at once ends in a crash loop, left down with its last log lines', async () => {
    const p = proc('crasher', 'echo "fatal: config broken"; exit 3');
    const logs: string[] = [];
    const s = supervise([p], logs);
    expect(await waitUntil(() => statusOf(s, 'crasher').state === 'crash-loop', { timeoutMs: 15_000 })).toBe(
      true,
    );
    const st = statusOf(s, 'crasher');
    // The first start is not a restart.
    expect(st.restarts).toBe(2);
    expect(st.logTail).toContain('fatal: config broken');
    expect(logs.join('\n')).toContain('crash loop');
    // Left down: no further starts.
    await new Promise((r) => setTimeout(r, 300));
    expect(statusOf(s, 'crasher').restarts).toBe(2);
  });

  it('a crash-looped process brought back by someone else is watched again', async () => {
    const marker = join(dir, 'fixed');
    const p = proc('flaky', `[ -f ${marker} ] && exec sleep 60; exit 1`);
    const s = supervise([p]);
    expect(await waitUntil(() => statusOf(s, 'flaky').state === 'crash-loop', { timeoutMs: 15_000 })).toBe(
      true,
    );
    writeFileSync(marker, '');
    p.start(); // what `make up` does
    expect(await waitUntil(() => statusOf(s, 'flaky').state === 'healthy', { timeoutMs: 10_000 })).toBe(true);
    process.kill(p.pid()!, 'SIGKILL');
    expect(await waitUntil(() => statusOf(s, 'flaky').restarts === 3, { timeoutMs: 10_000 })).toBe(true);
    expect(await waitUntil(() => statusOf(s, 'flaky').state === 'healthy', { timeoutMs: 10_000 })).toBe(true);
  });

  it('a process that dies soon after every restart is a crash loop too', async () => {
    const p = proc('short-lived', 'sleep 0.4; exit 1');
    const s = supervise([p]);
    expect(
      await waitUntil(() => statusOf(s, 'short-lived').state === 'crash-loop', { timeoutMs: 15_000 }),
    ).toBe(true);
    expect(statusOf(s, 'short-lived').restarts).toBe(2);
  });

  it('probes a healthy process only every probeIntervalMs, yet notices its death at the next PID check', async () => {
    let probes = 0;
    const p = proc('quiet', 'exec sleep 60', {
      live: async () => {
        probes += 1;
        return isAlive(p.pid()!);
      },
    });
    const first = p.start();
    // One probe an hour: within this test, a healthy process is probed once (its first check).
    const s = supervise([p], [], { ...FAST, probeIntervalMs: 3_600_000 });
    expect(await waitUntil(() => probes >= 1, { timeoutMs: 5000 })).toBe(true);
    await new Promise((r) => setTimeout(r, 20 * FAST.intervalMs));
    expect(probes).toBe(1);
    process.kill(first, 'SIGKILL');
    expect(await waitUntil(() => statusOf(s, 'quiet').restarts === 1, { timeoutMs: 10_000 })).toBe(true);
    expect(statusOf(s, 'quiet').lastReason).toBe('exited');
  });

  it('a live process that stops answering is killed and restarted', async () => {
    let answering = true;
    const p = proc('hung', 'exec sleep 60', { live: async () => answering });
    const first = p.start();
    const s = supervise([p]);
    answering = false;
    expect(await waitUntil(() => !isAlive(first), { timeoutMs: 10_000 })).toBe(true);
    answering = true;
    expect(await waitUntil(() => statusOf(s, 'hung').restarts === 1, { timeoutMs: 10_000 })).toBe(true);
    expect(statusOf(s, 'hung').lastReason).toBe('unresponsive');
  });

  it('waits while its dependencies are down, without counting towards a crash loop', async () => {
    let depsUp = false;
    const p = proc('dependent', 'exec sleep 60', { dependenciesUp: async () => depsUp });
    const s = supervise([p]);
    expect(await waitUntil(() => statusOf(s, 'dependent').state === 'waiting', { timeoutMs: 10_000 })).toBe(
      true,
    );
    expect(statusOf(s, 'dependent').restarts).toBe(0);
    depsUp = true;
    expect(await waitUntil(() => statusOf(s, 'dependent').state === 'healthy', { timeoutMs: 10_000 })).toBe(
      true,
    );
    expect(statusOf(s, 'dependent').failures).toBe(0);
  });

  it('waits for a process that reports it is restoring past its start timeout', async () => {
    let calls = 0;
    const p = proc('restorer', 'exec sleep 60', {
      startTimeoutMs: 200,
      ready: async () =>
        ++calls > 8 ? { ready: true } : { ready: false, progress: `restoring ${calls * 5} %` },
    });
    const s = supervise([p]);
    expect(await waitUntil(() => statusOf(s, 'restorer').state === 'healthy', { timeoutMs: 10_000 })).toBe(
      true,
    );
    expect(statusOf(s, 'restorer').restarts).toBe(0);
    expect(statusOf(s, 'restorer').failures).toBe(0);
  });

  it('waits for a process joining its consumer group past its start timeout, and shows it joining', async () => {
    let calls = 0;
    const p = proc('joiner', 'exec sleep 60', {
      startTimeoutMs: 200,
      ready: async () =>
        ++calls > 12
          ? { ready: true }
          : { ready: false, progress: 'joining consumer group retail-sink-postgres' },
    });
    const states: string[] = [];
    const s = new Supervisor([p], FAST, { log: () => undefined, changed: (st) => states.push(st.state) });
    supervisors.push(s);
    s.run();
    expect(await waitUntil(() => statusOf(s, 'joiner').state === 'healthy', { timeoutMs: 10_000 })).toBe(
      true,
    );
    expect(states).toContain('joining');
    expect(statusOf(s, 'joiner').restarts).toBe(0);
    expect(statusOf(s, 'joiner').failures).toBe(0);
  });

  it('backoff doubles from the initial delay up to the cap', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, FAST))).toEqual([50, 100, 200, 200, 200]);
  });
});
