/**
 * Installing Debian packages the native stack needs (PostgreSQL, Prometheus) when they are missing.
 * Only as root on a Debian-like system; otherwise one line says what to install.
 * Package post-install scripts must not start their own services on our ports, so a temporary
 * policy-rc.d forbids it, and PostgreSQL's automatic "main" cluster is not created.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { EtlError } from '../lib/errors.js';
import { run, which } from './process.js';

const POLICY_RC = '/usr/sbin/policy-rc.d';

export function aptInstall(packages: string[], why: string, progress: (m: string) => void): void {
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !which('apt-get')) {
    throw new EtlError('DEPENDENCY_MISSING', `${why}: package(s) ${packages.join(', ')} not installed`, {
      hint: `install them (Debian/Ubuntu: sudo apt-get install -y ${packages.join(' ')}) or start a Docker engine`,
    });
  }
  progress(`installing Debian package(s) ${packages.join(', ')} (${why}; first run only)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const ownPolicy = !existsSync(POLICY_RC);
  if (ownPolicy) writeFileSync(POLICY_RC, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  if (packages.some((p) => p.startsWith('postgresql'))) {
    mkdirSync('/etc/postgresql-common', { recursive: true });
    if (!existsSync('/etc/postgresql-common/createcluster.conf')) {
      writeFileSync('/etc/postgresql-common/createcluster.conf', 'create_main_cluster = false\n');
    }
  }
  try {
    const install = () => run('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { env });
    try {
      install();
    } catch {
      // A fresh machine has empty package lists: refresh once, then try again.
      run('apt-get', ['update'], { env });
      install();
    }
  } catch (err) {
    throw new EtlError(
      'PROVISION_FAILED',
      `apt-get could not install ${packages.join(', ')}: ${(err as Error).message}`,
      {
        retriable: true,
        hint: `install them by hand: apt-get install -y ${packages.join(' ')}`,
        cause: err,
      },
    );
  } finally {
    if (ownPolicy) rmSync(POLICY_RC, { force: true });
  }
}
