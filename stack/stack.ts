/**
 * One interface over two ways of running the servers: Docker Compose when an engine answers,
 * the native stack otherwise (STACK_MODE=native|docker forces one). The chosen mode is kept in
 * .stack/mode so `down` and `status` act on what `up` started.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EtlError } from '../lib/errors.js';
import { dockerDown, dockerEngineAnswers, dockerEnv, dockerPs, dockerUp } from './docker.js';
import type { ComponentStatus, UpOptions } from './native.js';
import {
  infraEnv,
  nativeDown,
  nativeStatus,
  nativeStop,
  nativeSupervise,
  nativeUp,
  stackContext,
  supervisorStatus,
} from './native.js';
import type { SupervisorFile } from './supervise.js';
import { stackPaths } from './paths.js';
import { apiTokens } from './secrets.js';
import type { RotationReport, Rotatable } from './secrets-rotate.js';
import { nativeRotate } from './secrets-rotate-native.js';

export type StackMode = 'native' | 'docker';

export interface StackReport {
  mode: StackMode;
  started: string[];
  alreadyRunning: string[];
  statuses: ComponentStatus[];
  env: Record<string, string>;
  envFile: string;
}

function modeFile(): string {
  return join(stackPaths().stack, 'mode');
}

function recordedMode(): StackMode | undefined {
  const file = modeFile();
  if (!existsSync(file)) return undefined;
  const mode = readFileSync(file, 'utf8').trim();
  return mode === 'docker' || mode === 'native' ? mode : undefined;
}

export function chooseMode(requested = process.env['STACK_MODE'] ?? 'auto'): StackMode {
  if (requested === 'native' || requested === 'docker') return requested;
  if (requested !== 'auto') {
    throw new EtlError('CONFIG_INVALID', `STACK_MODE must be auto, native or docker; got "${requested}"`);
  }
  return recordedMode() ?? (dockerEngineAnswers() ? 'docker' : 'native');
}

export async function stackUp(
  progress: (m: string) => void,
  options: UpOptions & { mode?: string } = {},
): Promise<StackReport> {
  const paths = stackPaths();
  const ctx = stackContext(paths, progress);
  const mode = chooseMode(options.mode);
  writeFileSync(modeFile(), mode + '\n');
  if (mode === 'docker') {
    const env = dockerUp(ctx);
    return {
      mode,
      started: ['docker compose'],
      alreadyRunning: [],
      statuses: [],
      env,
      envFile: paths.envFile,
    };
  }
  const result = await nativeUp(ctx, options);
  return { mode, ...result, envFile: paths.envFile };
}

export async function stackStatus(): Promise<{
  mode: StackMode | undefined;
  statuses: ComponentStatus[];
  docker?: string;
  /** Native stack: the supervisor's PID (when it runs) and its last recorded view. */
  supervisor?: { pid: number | undefined; file: SupervisorFile | undefined };
}> {
  const paths = stackPaths();
  const ctx = stackContext(paths, () => undefined);
  const mode = recordedMode();
  if (mode === 'docker') return { mode, statuses: [], docker: dockerPs(ctx) };
  return { mode, statuses: await nativeStatus(ctx), supervisor: supervisorStatus(ctx) };
}

/** `retail-etl stack supervise`: the native stack's supervisor, until SIGTERM. */
export async function stackSupervise(log: (m: string) => void): Promise<void> {
  await nativeSupervise(stackContext(stackPaths(), log), log);
}

export async function stackDown(
  progress: (m: string) => void,
): Promise<{ mode: StackMode | undefined; stopped: string[] }> {
  const paths = stackPaths();
  const ctx = stackContext(paths, progress);
  const mode = recordedMode();
  if (mode === 'docker') {
    dockerDown(ctx);
    rmSync(modeFile(), { force: true });
    return { mode, stopped: ['docker compose'] };
  }
  const stopped = await nativeDown(ctx);
  rmSync(modeFile(), { force: true });
  return { mode, stopped };
}

/** Stop only the named native components: what a test run added to a stack it found running. */
export async function stackStopComponents(
  progress: (m: string) => void,
  names: readonly string[],
): Promise<string[]> {
  return nativeStop(stackContext(stackPaths(), progress), names);
}

/** The environment a client of the running stack needs (what `.stack/env` holds). */
export function expectedEnv(mode: StackMode): Record<string, string> {
  const ctx = stackContext(stackPaths(), () => undefined);
  return mode === 'docker' ? { ...dockerEnv(ctx), ...apiTokens(ctx.secrets) } : infraEnv(ctx);
}

/** `retail-etl secrets rotate`: the native stack's passwords and tokens (stack/secrets-rotate.ts). */
export async function stackRotateSecrets(
  progress: (m: string) => void,
  what: readonly Rotatable[],
  graceMs: number,
): Promise<RotationReport> {
  if (recordedMode() === 'docker') {
    throw new EtlError(
      'CONFIG_INVALID',
      '`secrets rotate` rotates the native stack; this one runs in Docker',
      {
        hint: 'for compose: new values in .env, then `docker compose up -d` (docs/security.md#rotating-secrets)',
      },
    );
  }
  return nativeRotate(stackContext(stackPaths(), progress), what, graceMs);
}
