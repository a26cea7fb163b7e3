/**
 * `secrets rotate` on the native stack: the supervisor is stopped for the rotation (it would
 * restart a process with the secrets it read at its own start) and started again afterwards,
 * reading the new ones; each service is restarted by stack/native.ts with the stack environment
 * of the secrets the rotation hands it. Kafka SCRAM passwords are rotated only when the stack's
 * broker runs a SASL_SSL listener (stack/kafka-scram.ts); `make up`'s PLAINTEXT broker has none.
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
import { ensureSecureKafkaFiles } from './kafka-secure.js';
import { KAFKA_PRINCIPALS, KAFKA_ADMIN_PRINCIPAL } from './kafka-principals.js';
import { rotateScramPasswords, stackSaslListener, stackSecureKafkaDir } from './kafka-scram.js';
import type { KafkaRotation, RotationReport, Rotatable } from './secrets-rotate.js';
import { rotateSecrets, rotationRefused } from './secrets-rotate.js';
import { loadOrCreateSecrets } from './secrets.js';
import { supervisedListFile } from './supervise.js';

/**
 * The pipeline services that log in as each principal on a secured broker; `control` and `dlq`
 * are CLI commands (nothing to restart), `connect` the Kafka Connect worker (not a pipeline service).
 */
export const PRINCIPAL_SERVICES: Readonly<Record<string, readonly string[]>> = {
  producer: ['producer'],
  ingest: ['serve'],
  'sink-postgres': ['sink-postgres'],
  'sink-clickhouse': ['sink-clickhouse'],
  'sink-aggregates': ['sink-aggregates', 'sink-aggregates-clickhouse'],
  processors: ['processors'],
};

/** The SCRAM rotation of the stack's broker, when it runs a SASL_SSL listener. */
function stackKafkaRotation(ctx: StackContext, connectRunning: boolean): KafkaRotation | undefined {
  const bootstrap = stackSaslListener(ctx);
  if (bootstrap === undefined) return undefined;
  const files = ensureSecureKafkaFiles(stackSecureKafkaDir(ctx));
  // The worker holds `connect`'s password in its properties: rotate it with the worker stopped.
  const principals = [...KAFKA_PRINCIPALS, KAFKA_ADMIN_PRINCIPAL].filter(
    (p) => !(connectRunning && p === 'connect'),
  );
  return {
    rotate: (restartUsers) =>
      rotateScramPasswords({ ctx, files, bootstrap, principals, restart: restartUsers, log: ctx.progress }),
    servicesOf: (principal) => PRINCIPAL_SERVICES[principal] ?? [],
    skipped: connectRunning ? ['kafka principal connect: the Connect worker runs (stop it first)'] : [],
  };
}

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
  const connectRunning = componentRunning(ctx, 'kafka-connect');
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
      skipRoles: connectRunning ? [CONNECT_ROLE] : [],
      kafka: stackKafkaRotation(ctx, connectRunning),
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
