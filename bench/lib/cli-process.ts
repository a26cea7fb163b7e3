/** Run `retail-etl <args>` (the built CLI) as a child process for a benchmark, and stop it cleanly. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { projectRoot } from '../../stack/paths.js';
import { environment } from '../../lib/config/index.js';

export interface CliProcess {
  child: ChildProcess;
  /** The last lines it printed (stdout and stderr). */
  tail(): string;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

export function startCli(args: string[], env: Record<string, string | undefined> = {}): CliProcess {
  const main = join(projectRoot(), 'dist', 'cli', 'main.js');
  if (!existsSync(main)) throw new Error('dist/cli/main.js missing: run `npm run build` first');
  const child = spawn(process.execPath, [main, ...args], {
    env: { ...environment(), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (buf: Buffer) => {
    lines.push(
      ...buf
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== ''),
    );
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    tail: () => lines.slice(-20).join('\n'),
    exited,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(30_000).then(() => 'timeout' as const)]);
      if (code === 'timeout') {
        child.kill('SIGKILL');
        return exited;
      }
      return code;
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function waitHealthy(port: number, proc: CliProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null)
      throw new Error(`process exited (${proc.child.exitCode}):\n${proc.tail()}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) return;
    } catch {
      /* not up yet */
    }
    await sleep(250);
  }
  throw new Error(`not ready on port ${port} after ${timeoutMs} ms:\n${proc.tail()}`);
}
