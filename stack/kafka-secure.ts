/**
 * Everything a secured broker needs besides its properties: the CA and certificates, one SCRAM
 * password per principal (files mode 600, never on a command line), the environment a process
 * of each principal runs with, and the ACLs, created through the admin principal once the broker
 * answers. Used by the secured throwaway broker of the integration tests; the same pieces make a
 * secured `make up` (docs/security.md#kafka says what is still to do there).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOST } from '../lib/ports.js';
import type { ScramUser, SecureKafka } from './components/kafka.js';
import { ensureKafkaTls } from './kafka-tls.js';
import type { KafkaTlsFiles } from './kafka-tls.js';
import { KAFKA_ADMIN_PRINCIPAL, KAFKA_PRINCIPALS, principalGrants } from './kafka-principals.js';
import { mkdirPrivate } from './private-dir.js';

export interface SecureKafkaFiles {
  dir: string;
  tls: KafkaTlsFiles;
  /** Password file of each SCRAM user (the admin and every principal). */
  passwordFiles: Record<string, string>;
}

const USERS = [KAFKA_ADMIN_PRINCIPAL, ...KAFKA_PRINCIPALS];

/** Make (or reuse) the certificates and passwords under `dir`; `mtlsClients` get a certificate. */
export function ensureSecureKafkaFiles(dir: string, mtlsClients: readonly string[] = []): SecureKafkaFiles {
  const tls = ensureKafkaTls(join(dir, 'tls'), mtlsClients);
  const secrets = join(dir, 'scram');
  mkdirPrivate(secrets);
  const passwordFiles: Record<string, string> = {};
  for (const user of USERS) {
    const file = join(secrets, `${user}.password`);
    if (!existsSync(file)) writeFileSync(file, randomBytes(18).toString('hex') + '\n', { mode: 0o600 });
    passwordFiles[user] = file;
  }
  return { dir, tls, passwordFiles };
}

/** The SCRAM users to write into the broker's first metadata. */
export function scramUsers(files: SecureKafkaFiles): ScramUser[] {
  return Object.entries(files.passwordFiles).map(([name, file]) => {
    const password = readFileSync(file, 'utf8').trim();
    // The storage tool's --add-scram syntax has no escaping: a name or password must be plain.
    if (!/^[A-Za-z0-9._-]+$/.test(name) || !/^[A-Za-z0-9]+$/.test(password))
      throw new Error(`SCRAM user ${name}: name or password has characters the storage tool cannot take`);
    return { name, password };
  });
}

export function secureListeners(files: SecureKafkaFiles, mtlsPort: number): SecureKafka {
  return { mtlsPort, tls: files.tls, superUsers: [KAFKA_ADMIN_PRINCIPAL] };
}

/** The KAFKA_* environment of a process that logs in as `principal` with SCRAM over TLS. */
export function saslEnv(files: SecureKafkaFiles, port: number, principal: string): Record<string, string> {
  const passwordFile = files.passwordFiles[principal];
  if (passwordFile === undefined) throw new Error(`no SCRAM user ${principal}`);
  return {
    KAFKA_BROKERS: `${HOST}:${port}`,
    KAFKA_SECURITY_PROTOCOL: 'sasl_ssl',
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: principal,
    KAFKA_SASL_PASSWORD_FILE: passwordFile,
    KAFKA_SSL_CA_FILE: files.tls.ca,
  };
}

/** The KAFKA_* environment of a process that presents `principal`'s certificate (mutual TLS). */
export function mtlsEnv(
  files: SecureKafkaFiles,
  mtlsPort: number,
  principal: string,
): Record<string, string> {
  const client = files.tls.clients[principal];
  if (client === undefined) throw new Error(`no client certificate for ${principal}`);
  return {
    KAFKA_BROKERS: `${HOST}:${mtlsPort}`,
    KAFKA_SECURITY_PROTOCOL: 'ssl',
    KAFKA_SSL_CA_FILE: files.tls.ca,
    KAFKA_SSL_CERT_FILE: client.cert,
    KAFKA_SSL_KEY_FILE: client.key,
  };
}

/** Create every principal's ACLs, as the admin principal. */
export async function applyPrincipalAcls(files: SecureKafkaFiles, port: number): Promise<void> {
  const { createQuietKafka, createAcls, kafkaSecurityFromEnv } = await import('../lib/kafka/index.js');
  const env = saslEnv(files, port, KAFKA_ADMIN_PRINCIPAL);
  const admin = createQuietKafka([`${HOST}:${port}`], kafkaSecurityFromEnv(env)).admin();
  await admin.connect();
  try {
    await createAcls(admin, principalGrants());
  } finally {
    await admin.disconnect();
  }
}
