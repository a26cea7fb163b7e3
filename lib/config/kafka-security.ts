/**
 * How every process reaches Kafka and the Schema Registry securely: SASL/SCRAM over TLS, or mutual
 * TLS, with a CA file; basic auth and a CA for the registry. Declared once here, validated where
 * a client is made (lib/kafka/security.ts, lib/contracts/event/serde.ts). Secrets come from a file
 * (…_FILE) or the environment — never from a command-line option — and are never echoed.
 */
import { environment } from './environment.js';
import type { ConfigOf, Schema } from './schema.js';
import { resolveConfig } from './schema.js';

export const KAFKA_SECURITY_PROTOCOLS = ['plaintext', 'ssl', 'sasl_ssl'] as const;
export type KafkaSecurityProtocol = (typeof KAFKA_SECURITY_PROTOCOLS)[number];
export const KAFKA_SASL_MECHANISMS = ['scram-sha-512', 'scram-sha-256'] as const;

export const KAFKA_SECURITY_SCHEMA = {
  protocol: {
    type: 'enum',
    env: 'KAFKA_SECURITY_PROTOCOL',
    values: KAFKA_SECURITY_PROTOCOLS,
    default: 'plaintext',
    doc: 'plaintext (the local default), ssl (TLS; mutual TLS with a client certificate) or sasl_ssl (SCRAM over TLS)',
  },
  saslMechanism: {
    type: 'enum',
    env: 'KAFKA_SASL_MECHANISM',
    values: KAFKA_SASL_MECHANISMS,
    default: 'scram-sha-512',
    doc: 'SASL mechanism of sasl_ssl',
  },
  saslUsername: { type: 'string', env: 'KAFKA_SASL_USERNAME', doc: 'SCRAM user (the Kafka principal)' },
  saslPassword: {
    type: 'string',
    env: 'KAFKA_SASL_PASSWORD',
    secret: true,
    doc: 'SCRAM password (prefer KAFKA_SASL_PASSWORD_FILE)',
  },
  saslPasswordFile: {
    type: 'string',
    env: 'KAFKA_SASL_PASSWORD_FILE',
    doc: 'file holding the SCRAM password (trailing newline ignored)',
  },
  caFile: {
    type: 'string',
    env: 'KAFKA_SSL_CA_FILE',
    doc: 'PEM file of the CA that signed the brokers’ certificates (default: Node’s CA list)',
  },
  certFile: {
    type: 'string',
    env: 'KAFKA_SSL_CERT_FILE',
    doc: 'PEM client certificate for mutual TLS (with KAFKA_SSL_KEY_FILE)',
  },
  keyFile: { type: 'string', env: 'KAFKA_SSL_KEY_FILE', doc: 'PEM private key of the client certificate' },
  keyPasswordFile: {
    type: 'string',
    env: 'KAFKA_SSL_KEY_PASSWORD_FILE',
    doc: 'file holding the passphrase of an encrypted KAFKA_SSL_KEY_FILE',
  },
  serverName: {
    type: 'string',
    env: 'KAFKA_SSL_SERVERNAME',
    doc: 'host name the broker certificate must carry, when it differs from the broker address',
  },
} as const satisfies Schema;

export type KafkaSecurityConfig = ConfigOf<typeof KAFKA_SECURITY_SCHEMA>;

export const SCHEMA_REGISTRY_SECURITY_SCHEMA = {
  caFile: {
    type: 'string',
    env: 'SCHEMA_REGISTRY_CA_FILE',
    doc: 'PEM CA file for an https:// SCHEMA_REGISTRY_URL (default: Node’s CA list)',
  },
  username: { type: 'string', env: 'SCHEMA_REGISTRY_USERNAME', doc: 'basic-auth user of the registry' },
  password: {
    type: 'string',
    env: 'SCHEMA_REGISTRY_PASSWORD',
    secret: true,
    doc: 'basic-auth password (prefer SCHEMA_REGISTRY_PASSWORD_FILE)',
  },
  passwordFile: {
    type: 'string',
    env: 'SCHEMA_REGISTRY_PASSWORD_FILE',
    doc: 'file holding the basic-auth password',
  },
} as const satisfies Schema;

export type SchemaRegistrySecurityConfig = ConfigOf<typeof SCHEMA_REGISTRY_SECURITY_SCHEMA>;

export function kafkaSecurityConfig(env: NodeJS.ProcessEnv = environment()): KafkaSecurityConfig {
  return resolveConfig('kafka-security', KAFKA_SECURITY_SCHEMA, {}, env);
}

export function schemaRegistrySecurityConfig(
  env: NodeJS.ProcessEnv = environment(),
): SchemaRegistrySecurityConfig {
  return resolveConfig('kafka-security', SCHEMA_REGISTRY_SECURITY_SCHEMA, {}, env);
}
