/**
 * `retail-etl secrets rotate`: new database passwords and API tokens for a running stack, with no
 * event lost or doubled. Delivery stays exact because nothing is cut mid-write: a process is
 * stopped with SIGTERM (it flushes and commits, or its uncommitted batch is replayed from the
 * positions stored with the rows) and started again with its new credentials.
 *
 * - **Database passwords**, one role at a time: the new password is saved to `.stack/secrets.env`
 *   first (a crash then leaves a file the next rotation or `make up` re-applies), then set with
 *   `ALTER ROLE … PASSWORD` as the superuser, then the process logging in as that role is
 *   restarted at once — its open sessions stay valid, only new logins need the new password. The
 *   owner's and the superuser's (no long-running process uses them) come last.
 * - **ClickHouse passwords**, one user at a time: saved first, then accepted beside the old one
 *   (the owner's `ALTER USER … ADD IDENTIFIED BY`), the process using that user restarted, then
 *   the old one dropped (`ALTER USER … IDENTIFIED BY`); the owner's last. HTTP has no sessions to
 *   keep, so the overlap is what lets a process finish its requests. The native server's users
 *   live in memory until it restarts and then read the saved file (stack/clickhouse/user-password.ts).
 *   Skipped when no ClickHouse server runs.
 * - **API tokens**: each variable holds up to two tokens (api/auth.ts). `serve` is restarted with
 *   `new,old`, `.stack/env` then names only the new one (clients move), and after `graceMs`
 *   `serve` is restarted with the new one alone: the old answers 401 from then on.
 * - **Kafka SCRAM** (stack/kafka-scram.ts), when the stack's broker has a SASL_SSL listener: one
 *   principal at a time, the admin last, each new password set with the broker's own tool and
 *   renamed over the principal's password file, then the processes logging in as that principal
 *   restarted. `make up`'s PLAINTEXT broker has none: the report says so.
 *
 * The steps that touch processes are the target's (the native stack: stack/secrets-rotate-native.ts;
 * a test: its own children), so the order above is the same wherever it runs.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatEnvFile, parseEnvFile } from '../lib/env-file.js';
import { EtlError } from '../lib/errors.js';
import { generateToken } from '../lib/http/tokens.js';
import { pgClient } from '../lib/postgres/connection.js';
import { pgError } from '../sinks/postgres/errors.js';
import { ident } from '../sinks/postgres/ident.js';
import { PIPELINE_SERVICES } from './pipeline.js';
import { setClickhousePassword } from './clickhouse/set-password.js';
import { CLICKHOUSE_RUNTIME_USERS, CLICKHOUSE_USER } from './components/clickhouse.js';
import { OWNER_ROLE, runtimeRoles } from './postgres-roles.js';
import { API_TOKEN_VARIABLES } from './secrets.js';

export const ROTATABLE = ['postgres', 'clickhouse', 'kafka', 'tokens'] as const;
export type Rotatable = (typeof ROTATABLE)[number];

export interface RotationTarget {
  /** The pipeline services running now: only these are restarted. */
  running(): string[];
  /** Stop `service` (SIGTERM) and start it with the stack environment of `secrets`; resolves once ready. */
  restart(service: string, secrets: Record<string, string>): Promise<void>;
  /** Write the clients' environment (`.stack/env`) for `secrets`. */
  publish(secrets: Record<string, string>): void;
}

export interface RotateOptions {
  secretsFile: string;
  /** The superuser's URL for `secrets`. */
  adminUrl(secrets: Record<string, string>): string;
  target: RotationTarget;
  what: readonly Rotatable[];
  /** How long `serve` accepts the old and the new tokens after `.stack/env` names the new ones. */
  graceMs: number;
  /** The ClickHouse owner's URL (credentials included) for `secrets`; undefined when no ClickHouse server runs. */
  clickhouseOwnerUrl?(secrets: Record<string, string>): string | undefined;
  /** Roles not to rotate now (Connect's, while a connector holds its password). */
  skipRoles?: readonly string[];
  log(message: string): void;
  /** The secured broker's SCRAM users, when the stack's broker has a SASL listener. */
  kafka?: KafkaRotation;
  /** Called while both tokens are valid (a test checks both there). */
  duringOverlap?(secrets: { old: Record<string, string>; next: Record<string, string> }): Promise<void>;
}

/** What rotateSecrets needs of a secured broker (the native stack's: stack/secrets-rotate-native.ts). */
export interface KafkaRotation {
  /** Rotate every principal (stack/kafka-scram.ts), calling `restartUsers` after each. */
  rotate(restartUsers: (principal: string) => Promise<void>): Promise<string[]>;
  /** The pipeline services that log in as `principal`. */
  servicesOf(principal: string): readonly string[];
  /** Principals left as they are, and why (the report lists them). */
  skipped?: readonly string[];
}

export interface RotationReport {
  roles: string[];
  /** ClickHouse users with a new password. */
  clickhouseUsers: string[];
  /** Kafka principals given a new SCRAM password. */
  kafka: string[];
  tokens: string[];
  restarted: string[];
  skipped: string[];
}

function load(file: string): Record<string, string> {
  return parseEnvFile(readFileSync(file, 'utf8'));
}

/** Replace the file in one step, mode 600: a reader sees the old or the new, never half. */
function save(file: string, secrets: Record<string, string>): void {
  writeFileSync(`${file}.tmp`, formatEnvFile(secrets), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

const newPassword = (): string => randomBytes(16).toString('hex');

/** The services whose environment holds `stackKey` (a URL or token of `.stack/env`). */
function usersOf(stackKey: string, running: readonly string[]): string[] {
  return PIPELINE_SERVICES.filter(
    (s) => running.includes(s.name) && Object.values(s.stackEnv).includes(stackKey),
  ).map((s) => s.name);
}

export async function rotateSecrets(o: RotateOptions): Promise<RotationReport> {
  const report: RotationReport = {
    roles: [],
    clickhouseUsers: [],
    kafka: [],
    tokens: [],
    restarted: [],
    skipped: [],
  };
  const running = o.target.running();
  let secrets = load(o.secretsFile);
  const old = { ...secrets };
  const rotateTokens = o.what.includes('tokens');
  const next = { ...secrets };
  if (rotateTokens) for (const k of API_TOKEN_VARIABLES) next[k] = generateToken();
  /** What a token-checking process runs with during the overlap: `new,old` for each scope. */
  const overlap = (s: Record<string, string>): Record<string, string> => {
    if (!rotateTokens) return s;
    const out = { ...s };
    for (const k of API_TOKEN_VARIABLES) out[k] = `${next[k]},${old[k]}`;
    return out;
  };
  const tokenUsers = new Set(rotateTokens ? API_TOKEN_VARIABLES.flatMap((k) => usersOf(k, running)) : []);
  const restarted = new Set<string>();
  const restart = async (service: string, env: Record<string, string>) => {
    o.log(`restarting ${service}…`);
    await o.target.restart(service, env);
    restarted.add(service);
  };

  if (o.what.includes('postgres')) {
    const admin = pgClient(o.adminUrl(secrets), { connectionTimeoutMillis: 10_000 });
    try {
      await admin.connect();
    } catch (err) {
      throw pgError('could not log in to Postgres as the superuser to rotate passwords', err);
    }
    try {
      const alter = async (role: string, key: string) => {
        const password = newPassword();
        secrets = { ...secrets, [key]: password };
        save(o.secretsFile, secrets);
        // The role is validated by ident(); the password is generated hex.
        await admin.query(`ALTER ROLE ${ident(role, 'role')} PASSWORD '${password}'`);
        report.roles.push(role);
        o.log(`postgres: new password for ${role}`);
      };
      for (const r of runtimeRoles()) {
        if (o.skipRoles?.includes(r.role)) {
          report.skipped.push(`postgres role ${r.role}`);
          continue;
        }
        await alter(r.role, r.secret);
        // At once: a pool opening a new connection with the old password would be refused.
        for (const service of usersOf(r.envKey, running)) await restart(service, overlap(secrets));
      }
      await alter(OWNER_ROLE, 'POSTGRES_APP_PASSWORD');
      // The superuser last, over the session already open with the old password.
      await alter('postgres', 'POSTGRES_SUPERUSER_PASSWORD');
    } catch (err) {
      throw pgError('password rotation stopped', err);
    } finally {
      await admin.end().catch(() => undefined);
    }
  }

  if (o.what.includes('clickhouse')) {
    const ownerUrl = o.clickhouseOwnerUrl;
    if (!ownerUrl?.(secrets)) report.skipped.push('clickhouse: no ClickHouse server is running');
    else {
      /**
       * The new password is saved, then accepted beside the old one (ADD IDENTIFIED): a request of
       * the process in flight, or its flush on SIGTERM, still logs in. Once the process runs with
       * the new one, the old is dropped (IDENTIFIED alone). Each step as the owner with the
       * owner's current password — its own is rotated last, the same way.
       */
      const rotateUser = async (user: string, key: string, services: string[]) => {
        const password = newPassword();
        const before = ownerUrl(secrets) ?? '';
        secrets = { ...secrets, [key]: password };
        save(o.secretsFile, secrets);
        await setClickhousePassword(before, user, password, true);
        for (const service of services) await restart(service, overlap(secrets));
        await setClickhousePassword(ownerUrl(secrets) ?? '', user, password);
        report.clickhouseUsers.push(user);
        o.log(`clickhouse: new password for ${user}`);
      };
      for (const u of CLICKHOUSE_RUNTIME_USERS)
        await rotateUser(u.user, u.secret, usersOf(u.envKey, running));
      await rotateUser(CLICKHOUSE_USER, 'CLICKHOUSE_PASSWORD', usersOf('CLICKHOUSE_URL', running));
    }
  }

  if (o.what.includes('kafka')) {
    const kafka = o.kafka;
    if (kafka === undefined) report.skipped.push('kafka SCRAM: the stack’s broker has no SASL listener');
    else {
      report.skipped.push(...(kafka.skipped ?? []));
      report.kafka = await kafka.rotate(async (principal) => {
        // At once: a client opening a new connection with the old password would be refused.
        for (const service of kafka.servicesOf(principal))
          if (running.includes(service)) await restart(service, overlap(secrets));
      });
    }
  }

  if (rotateTokens) {
    for (const service of tokenUsers) if (!restarted.has(service)) await restart(service, overlap(secrets));
    for (const k of API_TOKEN_VARIABLES) secrets[k] = next[k] ?? '';
    report.tokens.push(...API_TOKEN_VARIABLES);
  }
  save(o.secretsFile, secrets);
  o.target.publish(secrets);
  if (rotateTokens) {
    await o.duringOverlap?.({ old, next: secrets });
    if (o.graceMs > 0) {
      o.log(`tokens: the old ones stay valid for ${Math.round(o.graceMs / 1000)} s while clients move`);
      await sleep(o.graceMs);
    }
    for (const service of tokenUsers) await restart(service, secrets);
    if (tokenUsers.size === 0)
      report.skipped.push('serve is not running: new tokens take effect at its start');
  }
  report.restarted = [...restarted];
  return report;
}

/** A rotation refused before it starts (nothing changed). */
export function rotationRefused(message: string, hint: string): EtlError {
  return new EtlError('STACK_NOT_RUNNING', message, { hint });
}
