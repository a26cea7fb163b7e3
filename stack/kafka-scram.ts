/**
 * New SCRAM-SHA-512 passwords for the principals of a secured broker (stack/kafka-secure.ts),
 * set with the broker's own tool — kafka.admin.ConfigCommand, what `kafka-configs.sh --alter
 * --add-config 'SCRAM-SHA-512=[password=…]' --entity-type users --entity-name <principal>` runs —
 * through the stack's Java launcher and Kafka jars, logged in as the admin principal.
 *
 * No password is ever on a command line or in a log: the admin's client settings and the new
 * credential go to the tool as files (`--command-config`, `--add-config-file`), mode 600 in a
 * mode-700 folder, removed after. Per principal, in this order:
 *   1. the new password is written to `<password file>.next` (mode 600);
 *   2. the broker is given it (the tool exits 0 once the controller has committed it; from then on
 *      new logins need it, connections already authenticated stay open);
 *   3. `.next` is renamed over the password file, in one step (a reader sees the old or the new);
 *   4. the processes that log in as that principal are restarted (they read the file at start).
 * One principal at a time, the admin last (every earlier step logs in as the admin with the
 * password it still has). A crash between 2 and 3 leaves `.next` holding what the broker has:
 * rename it over the password file by hand (docs/security.md#rotating-secrets).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EtlError } from '../lib/errors.js';
import type { StackContext } from './component.js';
import { kafkaClasspath } from './components/kafka.js';
import { requireJava } from './java.js';
import { KAFKA_ADMIN_PRINCIPAL } from './kafka-principals.js';
import type { SecureKafkaFiles } from './kafka-secure.js';
import { mkdirPrivate } from './private-dir.js';

export const SCRAM_MECHANISM = 'SCRAM-SHA-512';

/** The same alphabet the storage tool takes (stack/kafka-secure.ts): nothing to escape anywhere. */
const PLAIN = /^[A-Za-z0-9]+$/;

export const newScramPassword = (): string => randomBytes(18).toString('hex');

/** The admin client settings of ConfigCommand (`--command-config`): SCRAM over TLS as `admin`. */
export function adminClientProperties(caFile: string, adminPassword: string): string {
  if (!PLAIN.test(adminPassword))
    throw new Error('the admin password has characters a JAAS line cannot take');
  return [
    'security.protocol=SASL_SSL',
    `sasl.mechanism=${SCRAM_MECHANISM}`,
    `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${KAFKA_ADMIN_PRINCIPAL}" password="${adminPassword}";`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${caFile}`,
    '',
  ].join('\n');
}

/**
 * The credential as ConfigCommand reads it from `--add-config-file` (a properties file): the value
 * is what `--add-config 'SCRAM-SHA-512=[password=…]'` leaves once its brackets are stripped.
 */
export function scramCredentialProperties(password: string): string {
  if (!PLAIN.test(password)) throw new Error('a SCRAM password must be letters and digits');
  return `${SCRAM_MECHANISM}=password=${password}\n`;
}

/** The tool's command line: file paths and names only. */
export function configCommandArgs(o: {
  classpath: string;
  bootstrap: string;
  commandConfig: string;
  principal: string;
  addConfigFile: string;
}): string[] {
  return [
    // A short-lived client: a small heap and the quick JIT start faster on a busy machine.
    '-Xms32m',
    '-Xmx256m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-cp',
    o.classpath,
    'kafka.admin.ConfigCommand',
    '--bootstrap-server',
    o.bootstrap,
    '--command-config',
    o.commandConfig,
    '--alter',
    '--entity-type',
    'users',
    '--entity-name',
    o.principal,
    '--add-config-file',
    o.addConfigFile,
  ];
}

function runJava(
  java: string,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(java, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (b: Buffer) => {
      output = (output + b.toString('utf8')).slice(-8000);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

export interface SetScramOptions {
  bootstrap: string;
  files: SecureKafkaFiles;
  principal: string;
  /** The file holding the password to set (mode 600): the `.next` file of a rotation. */
  passwordFile: string;
  timeoutMs?: number;
}

/** Give `principal` the SCRAM-SHA-512 password in `passwordFile`, as the admin principal. */
export async function setScramPassword(ctx: StackContext, o: SetScramOptions): Promise<void> {
  const adminFile = o.files.passwordFiles[KAFKA_ADMIN_PRINCIPAL];
  if (adminFile === undefined) throw new Error(`no password file of ${KAFKA_ADMIN_PRINCIPAL}`);
  const work = join(o.files.dir, 'scram');
  mkdirPrivate(work);
  const tmp = mkdtempSync(join(work, 'rotate-')); // mode 700
  try {
    const commandConfig = join(tmp, 'admin.properties');
    const addConfigFile = join(tmp, 'credential.properties');
    writeFileSync(
      commandConfig,
      adminClientProperties(o.files.tls.ca, readFileSync(adminFile, 'utf8').trim()),
      {
        mode: 0o600,
      },
    );
    writeFileSync(addConfigFile, scramCredentialProperties(readFileSync(o.passwordFile, 'utf8').trim()), {
      mode: 0o600,
    });
    const args = configCommandArgs({
      classpath: kafkaClasspath(ctx),
      bootstrap: o.bootstrap,
      commandConfig,
      principal: o.principal,
      addConfigFile,
    });
    const { code, output } = await runJava(requireJava(), args, o.timeoutMs ?? 120_000);
    if (code !== 0) {
      const tail = output.trim().split('\n').slice(-6).join(' | ');
      throw new EtlError(
        'KAFKA_ERROR',
        `could not set the SCRAM password of ${o.principal} (kafka-configs exited ${code ?? 'on a signal'}): ${tail}`,
        {
          hint: `the admin principal's password file is ${adminFile}; see docs/security.md#rotating-secrets`,
        },
      );
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export interface ScramRotationOptions {
  /** The stack context whose Kafka jars and Java run the tool. */
  ctx: StackContext;
  files: SecureKafkaFiles;
  /** `host:port` of the broker's SASL_SSL listener. */
  bootstrap: string;
  /** Principals to rotate (default: every SCRAM user of `files`); the admin always goes last. */
  principals?: readonly string[];
  /** Restart the processes that log in as `principal` (resolves once they run again). */
  restart(principal: string): Promise<void>;
  log(message: string): void;
}

/** The order of a rotation: the principals as given, the admin (when among them) last. */
export function rotationOrder(principals: readonly string[]): string[] {
  const rest = principals.filter((p) => p !== KAFKA_ADMIN_PRINCIPAL);
  return principals.includes(KAFKA_ADMIN_PRINCIPAL) ? [...rest, KAFKA_ADMIN_PRINCIPAL] : rest;
}

/** Rotate each principal's password (module comment: the steps); returns the principals rotated. */
export async function rotateScramPasswords(o: ScramRotationOptions): Promise<string[]> {
  const rotated: string[] = [];
  for (const principal of rotationOrder(o.principals ?? Object.keys(o.files.passwordFiles))) {
    const file = o.files.passwordFiles[principal];
    if (file === undefined) throw new Error(`no SCRAM user ${principal}`);
    const next = `${file}.next`;
    writeFileSync(next, newScramPassword() + '\n', { mode: 0o600 });
    await setScramPassword(o.ctx, { bootstrap: o.bootstrap, files: o.files, principal, passwordFile: next });
    renameSync(next, file);
    rotated.push(principal);
    o.log(`kafka: new SCRAM password for ${principal}`);
    await o.restart(principal);
  }
  return rotated;
}

/** Where the native stack keeps a secured broker's certificates and passwords. */
export function stackSecureKafkaDir(ctx: StackContext): string {
  return join(ctx.paths.conf, 'kafka-secure');
}

/**
 * The SASL_SSL listener of the stack's broker (`host:port`), read from the properties it runs with;
 * undefined when the broker has none (`make up`'s PLAINTEXT broker).
 */
export function saslListenerOf(properties: string): string | undefined {
  const line = properties.split('\n').find((l) => l.startsWith('listeners='));
  return /SASL_SSL:\/\/([^,\s]+)/.exec(line ?? '')?.[1];
}

/** The stack's broker config file (stack/components/kafka.ts writes it). */
export function stackKafkaProperties(ctx: StackContext): string {
  return join(ctx.paths.conf, 'kafka.properties');
}

/** The SASL_SSL listener of the running stack's broker, when it has one and its secrets are here. */
export function stackSaslListener(ctx: StackContext): string | undefined {
  const props = stackKafkaProperties(ctx);
  if (!existsSync(props) || !existsSync(join(stackSecureKafkaDir(ctx), 'scram'))) return undefined;
  return saslListenerOf(readFileSync(props, 'utf8'));
}
