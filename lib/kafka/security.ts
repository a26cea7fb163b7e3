/**
 * KAFKA_SECURITY_* settings → kafkajs' `ssl` and `sasl` options. Every client the project makes
 * goes through createKafka, so this mapping is where producer, ingest, sinks, processors, control
 * and the DLQ tools all get TLS, SCRAM or mutual TLS. Inconsistent settings stop the process with
 * CONFIG_INVALID naming the variables; `describeKafkaSecurity` is what a log may say about them.
 */
import type { ConnectionOptions } from 'node:tls';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { KafkaSecurityConfig } from '../config/index.js';
import {
  environment,
  kafkaSecurityConfig,
  readSecretFile,
  readSettingFile,
  secretFromEnvOrFile,
} from '../config/index.js';
import { EtlError } from '../errors.js';

const COMPONENT = 'kafka-security';

function invalid(message: string): never {
  throw new EtlError('CONFIG_INVALID', `${COMPONENT}: ${message}`, {
    hint: `see docs/configuration.md#${COMPONENT}`,
  });
}

function tlsOptions(c: KafkaSecurityConfig): ConnectionOptions {
  if ((c.certFile === undefined) !== (c.keyFile === undefined))
    invalid('KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together (mutual TLS needs both)');
  if (c.keyPasswordFile !== undefined && c.keyFile === undefined)
    invalid('KAFKA_SSL_KEY_PASSWORD_FILE is set without KAFKA_SSL_KEY_FILE');
  const tls: ConnectionOptions = { rejectUnauthorized: true };
  if (c.caFile !== undefined) tls.ca = [readSettingFile(COMPONENT, 'KAFKA_SSL_CA_FILE', c.caFile)];
  if (c.certFile !== undefined) tls.cert = readSettingFile(COMPONENT, 'KAFKA_SSL_CERT_FILE', c.certFile);
  if (c.keyFile !== undefined) tls.key = readSettingFile(COMPONENT, 'KAFKA_SSL_KEY_FILE', c.keyFile);
  if (c.keyPasswordFile !== undefined)
    tls.passphrase = readSecretFile(COMPONENT, 'KAFKA_SSL_KEY_PASSWORD_FILE', c.keyPasswordFile);
  if (c.serverName !== undefined) tls.servername = c.serverName;
  return tls;
}

function saslOptions(c: KafkaSecurityConfig): SASLOptions {
  const password = secretFromEnvOrFile(
    COMPONENT,
    { value: 'KAFKA_SASL_PASSWORD', file: 'KAFKA_SASL_PASSWORD_FILE' },
    c.saslPassword,
    c.saslPasswordFile,
  );
  if (c.saslUsername === undefined || password === undefined)
    invalid('sasl_ssl needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD_FILE (or KAFKA_SASL_PASSWORD)');
  return { mechanism: c.saslMechanism, username: c.saslUsername, password };
}

/** The `ssl`/`sasl` part of a kafkajs config for these settings (empty for plaintext). */
export function kafkaSecurityOptions(
  config: KafkaSecurityConfig = kafkaSecurityConfig(),
): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const c = config;
  if (c.protocol === 'plaintext') {
    const stray = (
      [
        ['KAFKA_SASL_USERNAME', c.saslUsername],
        ['KAFKA_SASL_PASSWORD', c.saslPassword],
        ['KAFKA_SASL_PASSWORD_FILE', c.saslPasswordFile],
        ['KAFKA_SSL_CA_FILE', c.caFile],
        ['KAFKA_SSL_CERT_FILE', c.certFile],
        ['KAFKA_SSL_KEY_FILE', c.keyFile],
      ] as const
    ).filter(([, v]) => v !== undefined);
    // Credentials with plaintext would mean a config meant to be secure silently is not.
    if (stray.length > 0)
      invalid(
        `${stray.map(([k]) => k).join(', ')} set but KAFKA_SECURITY_PROTOCOL is plaintext (set it to ssl or sasl_ssl)`,
      );
    return {};
  }
  if (c.protocol === 'ssl') {
    if (c.saslUsername !== undefined || c.saslPassword !== undefined || c.saslPasswordFile !== undefined)
      invalid('KAFKA_SASL_* set but KAFKA_SECURITY_PROTOCOL is ssl (set it to sasl_ssl)');
    return { ssl: tlsOptions(c) };
  }
  return { ssl: tlsOptions(c), sasl: saslOptions(c) };
}

/** What may be logged about the security settings: the protocol, the principal, the files — no secret. */
export function describeKafkaSecurity(config: KafkaSecurityConfig): Record<string, string> {
  const out: Record<string, string> = { protocol: config.protocol };
  if (config.protocol === 'sasl_ssl') {
    out['mechanism'] = config.saslMechanism;
    if (config.saslUsername !== undefined) out['username'] = config.saslUsername;
  }
  if (config.caFile !== undefined) out['caFile'] = config.caFile;
  if (config.certFile !== undefined) out['certFile'] = config.certFile;
  return out;
}

/** Security options for the process environment `env` (a probe or a test of its own broker). */
export function kafkaSecurityFromEnv(
  env: NodeJS.ProcessEnv = environment(),
): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  return kafkaSecurityOptions(kafkaSecurityConfig(env));
}
