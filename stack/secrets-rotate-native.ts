/**
 * `secrets rotate` on the native stack: the supervisor is stopped for the rotation (it would
 * restart a process with the secrets it read at its own start) and started again afterwards,
 * reading the new ones; each service is restarted by stack/native.ts with the stack environment
 * of the secrets the rotation hands it.
 */
import { existsSync } from 'node:fs';
import { PORTS } from '../lib/ports.js';
import type { StackContext } from './component.js';
import { clickhouseUrl } from './components/clickhouse.js';
import { adminUrl, CONNECT_ROLE } from './postgres-roles.js';
import {
  componentRunning,
  nativeRestartService,
  runningServices,
  startSupervisor,
  stopSupervisor,
  writeStackEnv,
} from './native.js';
import type { RotationReport, Rotatable } from './secrets-rotate.js';
import { rotateSecrets, rotationRefused } from './secrets-rotate.js';
import { loadOrCreateSecrets } from './secrets.js';
import { supervisedListFile } from './supervise.js';

export async function nativeRotate(
  ctx: StackContext,
  what: readonly Rotatable[],
  graceMs: number,
): Promise<RotationReport> {
  if (!existsSync(ctx.paths.envFile) || !existsSync(ctx.paths.secretsFile)) {
    throw rotationRefused('no running native stack here (.stack/env is missing)', 'run `make up` first');
  }
  const withSecrets = (secrets: Record<string, string>): StackContext => ({ ...ctx, secrets });
  const supervised = existsSync(supervisedListFile(ctx));
  await stopSupervisor(ctx);
  try {
    return await rotateSecrets({
      secretsFile: ctx.paths.secretsFile,
      adminUrl: (secrets) => adminUrl(withSecrets(secrets), PORTS.postgres),
      clickhouseOwnerUrl: (secrets) =>
        componentRunning(ctx, 'clickhouse') ? clickhouseUrl(withSecrets(secrets)) : undefined,
      what,
      graceMs,
      // A running connector holds its password in the worker's secrets file: rotate it with the
      // worker stopped (`retail-etl connect stop`), then `connect start` and `connect apply`.
      skipRoles: componentRunning(ctx, 'kafka-connect') ? [CONNECT_ROLE] : [],
      log: ctx.progress,
      target: {
        running: () => runningServices(ctx),
        restart: (service, secrets) => nativeRestartService(withSecrets(secrets), service),
        publish: (secrets) => writeStackEnv(withSecrets(secrets)),
      },
    });
  } finally {
    ctx.secrets = loadOrCreateSecrets(ctx.paths.secretsFile);
    if (supervised) await startSupervisor(ctx);
  }
}
