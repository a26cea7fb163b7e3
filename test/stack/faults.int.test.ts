/**
 * Bad input and faults of `retail-etl stack`: each answers with one line naming the problem and
 * what to do, a fitting exit code, and no half-started stack. A second stack directory
 * (RETAIL_ETL_STACK_DIR) stands for "another checkout" next to the running shared stack.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../stack/cli-process.js';
import { stackEnv } from '../helpers/env.js';

const dirs: string[] = [];

function tempStackDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'retail-stack-'));
  dirs.push(dir);
  return dir;
}

async function run(args: string[], env: Record<string, string>) {
  const res = await runCli(args, env);
  return { status: res.code, stdout: res.stdout, stderr: res.stderr };
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('stack faults', () => {
  stackEnv(); // the shared stack is up and holds the default ports

  it('`stack down` when nothing runs says so and exits 0', async () => {
    const res = await run(['stack', 'down'], { RETAIL_ETL_STACK_DIR: tempStackDir() });
    expect(res.status).toBe(0);
    expect(res.stdout.trim()).toBe('nothing is running');
  });

  it('a port already in use: fails at once naming the port and the component, starts nothing', async () => {
    const dir = tempStackDir();
    const res = await run(['stack', 'up', '--infra-only', '--mode', 'native'], { RETAIL_ETL_STACK_DIR: dir });
    expect(res.status).toBe(1);
    const errorLines = res.stderr.split('\n').filter((l) => l.startsWith('error:'));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatch(
      /^error: PORT_IN_USE: port 127\.0\.0\.1:9092 needed by kafka is already in use — /,
    );
    const pids = existsSync(join(dir, 'run'))
      ? readdirSync(join(dir, 'run')).filter((f) => f.endsWith('.pid'))
      : [];
    expect(pids).toEqual([]);
  });

  it('Java missing on the native path: one line that says what to install', async () => {
    const bin = join(tempStackDir(), 'bin');
    mkdirSync(bin);
    symlinkSync('/bin/sh', join(bin, 'sh'));
    const res = await run(['stack', 'up', '--infra-only', '--mode', 'native'], {
      RETAIL_ETL_STACK_DIR: tempStackDir(),
      PATH: bin,
    });
    expect(res.status).toBe(1);
    expect(res.stderr.trim().split('\n')).toEqual([
      'error: DEPENDENCY_MISSING: Java 17 or newer is required for the native stack but `java` was not found — install it (Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless) or start a Docker engine',
    ]);
  });

  it('an unknown mode is refused with the allowed values', async () => {
    const res = await run(['stack', 'up', '--mode', 'kubernetes'], { RETAIL_ETL_STACK_DIR: tempStackDir() });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('STACK_MODE must be auto, native or docker; got "kubernetes"');
  });

  it('`stack status` reports the running stack healthy', async () => {
    const res = await run(['stack', 'status'], {});
    expect(res.status, res.stdout + res.stderr).toBe(0);
    for (const name of ['kafka', 'schema-registry', 'postgres', 'clickhouse', 'prometheus']) {
      expect(res.stdout).toMatch(new RegExp(`healthy\\s+${name}\\s`));
    }
  });
});
