/** Spawn `node dist/cli/main.js sink …` as a real process (for kill -9 tests); `npm run build` first. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../stack/paths.js';

export interface SinkChild {
  child: ChildProcess;
  log: string[];
  exited: Promise<number | null>;
  /** The exit code, or a rejection with the last log lines after `timeoutMs`. */
  exit(timeoutMs?: number): Promise<number | null>;
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

export function spawnSink(args: string[], env: Record<string, string | undefined>): SinkChild {
  const main = join(projectRoot(), 'dist', 'cli', 'main.js');
  if (!existsSync(main)) throw new Error('dist/cli/main.js missing: run `npm run build` first');
  const child = spawn(process.execPath, [main, 'sink', ...args], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const onData = (buf: Buffer) => {
    for (const line of buf.toString('utf8').split('\n')) {
      if (line === '') continue;
      log.push(line);
      for (const w of [...waiters]) {
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    log,
    exited,
    exit(timeoutMs = 60_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`sink still running after ${timeoutMs} ms:\n${log.slice(-15).join('\n')}`)),
          timeoutMs,
        );
      });
      return Promise.race([exited, timeout]).finally(() => clearTimeout(timer));
    },
    waitForLog(pattern, timeoutMs = 60_000) {
      if (log.some((l) => pattern.test(l))) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `no log line matching ${pattern} within ${timeoutMs} ms; last lines:\n${log.slice(-15).join('\n')}`,
              ),
            ),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
        void exited.then(() => {
          clearTimeout(timer);
          reject(
            new Error(`sink exited before logging ${pattern}; last lines:\n${log.slice(-15).join('\n')}`),
          );
        });
      });
    },
  };
}
