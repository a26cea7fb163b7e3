/**
 * The built CLI (`node dist/cli/main.js <args>`) as a child process, for integration tests and
 * benchmarks alike (both import it; it lives here, beside the stack's own process launcher, so
 * bench/ never imports test/). Output is kept line by line for waits and failure messages; a stop
 * is SIGTERM, then SIGKILL after a grace period.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LaunchSpec } from './component.js';
import { projectRoot } from './paths.js';
import { waitUntil } from './wait.js';

/** Lines kept per process: enough for any test's counts, bounded for long benchmark runs. */
const MAX_LINES = 200_000;

export interface CliProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Every line printed on stdout and stderr so far, in order (a live array). */
  readonly lines: string[];
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  output(): string;
  /** The last `n` lines, for failure messages. */
  tail(n?: number): string;
  /** Resolves with the first line matching `re` (already printed or to come). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** The exit code; rejects with the last lines if still running after `timeoutMs`. */
  exit(timeoutMs?: number): Promise<number | null>;
  /** SIGTERM, SIGKILL after `graceMs`; resolves with the exit code (null when killed). */
  stop(graceMs?: number): Promise<number | null>;
}

export interface CliOptions {
  /** Added to this process's environment. */
  env?: Record<string, string | undefined>;
  /** Default LOG_LEVEL of the child (an explicit LOG_LEVEL in `env` wins); default info. */
  logLevel?: string;
  /** Name in failure messages (default: the first two arguments). */
  name?: string;
}

/** Path of the built CLI; throws one actionable line when it has not been built. */
export function cliMain(): string {
  const main = join(projectRoot(), 'dist', 'cli', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first (make test does)`);
  return main;
}

export function startCli(args: string[], options: CliOptions = {}): CliProcess {
  return startLaunch(
    {
      command: process.execPath,
      args: [cliMain(), ...args],
      env: { ...process.env, LOG_LEVEL: options.logLevel ?? 'info', ...options.env },
    },
    options.name ?? args.slice(0, 2).join(' '),
  );
}

/** Start a launch spec (e.g. a pipeline service's, from stack/pipeline.ts), keeping its output lines. */
export function startLaunch(spec: LaunchSpec, name: string): CliProcess {
  const child = spawn(spec.command, spec.args, {
    cwd: projectRoot(),
    env: spec.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  const partial = { stdout: '', stderr: '' };
  const onData = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
    const parts = (partial[stream] + chunk.toString('utf8')).split('\n');
    partial[stream] = parts.pop() ?? '';
    for (const line of parts) if (line !== '') lines.push(line);
    if (lines.length > MAX_LINES) lines.splice(0, lines.length - MAX_LINES);
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData('stdout'));
  child.stderr?.on('data', onData('stderr'));
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      for (const rest of [partial.stdout, partial.stderr]) if (rest !== '') lines.push(rest);
      resolve(code);
    });
  });
  const tail = (n = 20) => lines.slice(-n).join('\n');
  const exitedEarly = () => child.exitCode !== null || child.signalCode !== null;

  return {
    name,
    child,
    lines,
    exited,
    output: () => lines.join('\n'),
    tail,
    waitFor(re, timeoutMs = 60_000) {
      let seen = 0;
      const find = (): RegExpMatchArray | undefined => {
        for (; seen < lines.length; seen++) {
          const m = re.exec(lines[seen] ?? '');
          if (m) return m;
        }
        return undefined;
      };
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = find();
          if (m) done(() => resolve(m));
        };
        const timer = setTimeout(
          () =>
            done(() =>
              reject(new Error(`${name}: no line matching ${re} within ${timeoutMs} ms:\n${tail()}`)),
            ),
          timeoutMs,
        );
        void exited.then(() => {
          check();
          done(() =>
            reject(new Error(`${name} exited (${child.exitCode}) before printing ${re}:\n${tail()}`)),
          );
        });
        let settled = false;
        function done(settle: () => void) {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        }
        listeners.add(check);
        check();
      });
    },
    async exit(timeoutMs = 60_000) {
      const code = await Promise.race([exited, sleep(timeoutMs).then(() => 'timeout' as const)]);
      if (code === 'timeout') throw new Error(`${name} still running after ${timeoutMs} ms:\n${tail()}`);
      return code;
    },
    async stop(graceMs = 30_000) {
      if (exitedEarly()) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the CLI to completion and collect its output (no LOG_LEVEL default: the CLI's own). */
export function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliMain(), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Wait until the process answers /readyz on `port`; throws with its last lines if it exits or times out. */
export async function waitReady(port: number, proc: CliProcess, timeoutMs = 60_000): Promise<void> {
  const ready = await waitUntil(
    async () => proc.child.exitCode !== null || (await fetch(`http://127.0.0.1:${port}/readyz`)).ok,
    { timeoutMs },
  );
  if (proc.child.exitCode !== null)
    throw new Error(`${proc.name} exited (${proc.child.exitCode}):\n${proc.tail()}`);
  if (!ready)
    throw new Error(`${proc.name} not ready on port ${port} after ${timeoutMs} ms:\n${proc.tail()}`);
}
