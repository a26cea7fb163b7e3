/** Java and Maven checks and the Maven invocations the native stack provisions with. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { EtlError } from '../lib/errors.js';
import type { LaunchSpec, StackContext } from './component.js';
import { run, which } from './process.js';

/** The path of `command`, or a DEPENDENCY_MISSING error saying what needs it and how to install it. */
function requireCommand(command: string, needed: string, debianPackage: string): string {
  const path = which(command);
  if (!path) {
    throw new EtlError('DEPENDENCY_MISSING', `${needed} but \`${command}\` was not found`, {
      hint: `install it (Debian/Ubuntu: apt-get install -y ${debianPackage}) or start a Docker engine`,
    });
  }
  return path;
}

export function requireJava(): string {
  const java = requireCommand(
    'java',
    'Java 17 or newer is required for the native stack',
    'openjdk-17-jre-headless',
  );
  const res = spawnSync(java, ['-version'], { encoding: 'utf8' });
  const match = /version "(\d+)/.exec(`${res.stderr}${res.stdout}`);
  const major = match?.[1] ? Number(match[1]) : 0;
  if (major < 17) {
    throw new EtlError(
      'DEPENDENCY_MISSING',
      `Java 17 or newer is required, found Java ${major || 'of unknown version'}`,
      {
        hint: 'install it (Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless)',
      },
    );
  }
  return java;
}

export function requireMaven(): string {
  return requireCommand('mvn', 'Maven is required to fetch the Kafka and Schema Registry jars', 'maven');
}

/** Maven with its local repository inside `.stack/cache`, so the stack's downloads stay in the project. */
export function maven(ctx: StackContext, args: string[], cwd: string): void {
  const mvn = requireMaven();
  try {
    run(mvn, ['-B', '-q', `-Dmaven.repo.local=${join(ctx.paths.cache, 'm2')}`, ...args], { cwd });
  } catch (err) {
    throw new EtlError('PROVISION_FAILED', `Maven could not fetch the artifacts: ${(err as Error).message}`, {
      retriable: true,
      hint: 'check that the Maven repository is reachable, then run `make up` again',
      cause: err,
    });
  }
}

/** A JVM command line: heap and GC flags, `-D` system properties, then `-cp … Main args` or `-jar …`. */
export function javaLaunch(jvm: string[], properties: Record<string, string>, main: string[]): LaunchSpec {
  const props = Object.entries(properties).map(([k, v]) => `-D${k}=${v}`);
  return { command: requireJava(), args: [...jvm, ...props, ...main] };
}
