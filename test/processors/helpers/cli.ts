/** `processor all` as a child process of a test, with its log kept for the assertions. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../../stack/paths.js';
import { stackEnv } from '../../helpers/env.js';
import type { Fixture } from './fixture.js';

export function startProcessorCli(f: Fixture, log: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, [join(projectRoot(), 'dist', 'cli', 'main.js'), 'processor', 'all'], {
    env: { ...process.env, ...stackEnv(), ...f.env, PROCESSOR_METRICS_PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
  return child;
}

/** SIGTERM and wait, unless it has already exited. */
export async function stopCli(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

/** The "task restored" log lines of the child's log. */
export function restoredTasks(
  log: string[],
): { entries: number; dedupKeys: number; dedupLoadedIn?: 'worker' | 'thread' }[] {
  return log
    .join('')
    .split('\n')
    .filter((l) => l.includes('"task restored"'))
    .map((l) => JSON.parse(l) as { entries: number; dedupKeys: number; dedupLoadedIn?: 'worker' | 'thread' });
}
