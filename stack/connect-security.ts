/**
 * The Kafka Connect worker's client settings for a secured broker: the same KAFKA_SECURITY_*
 * settings every process reads, as Kafka client properties for the worker itself and, prefixed,
 * for the producers, consumers and admin clients of its connectors' tasks. Only SCRAM over TLS:
 * the worker's mutual TLS would need the key in a Java keystore, which `connect start` does not make.
 */
import type { KafkaSecurityConfig } from '../lib/config/index.js';
import { readSecretFile } from '../lib/config/index.js';
import { EtlError } from '../lib/errors.js';

/** Worker properties for `brokers` under `security` (none for plaintext). Holds a password: write it mode 600. */
export function connectSecurityProperties(brokers: string, security: KafkaSecurityConfig): string[] {
  if (security.protocol === 'plaintext') return [];
  if (security.protocol !== 'sasl_ssl' || security.certFile !== undefined) {
    throw new EtlError(
      'CONFIG_INVALID',
      'kafka-security: the Kafka Connect worker supports KAFKA_SECURITY_PROTOCOL=sasl_ssl without a client certificate',
      {
        hint: 'give the worker a SCRAM user (KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD_FILE); see docs/security.md#kafka',
      },
    );
  }
  const password =
    security.saslPasswordFile !== undefined
      ? readSecretFile('kafka-security', 'KAFKA_SASL_PASSWORD_FILE', security.saslPasswordFile)
      : security.saslPassword;
  if (security.saslUsername === undefined || password === undefined) {
    throw new EtlError(
      'CONFIG_INVALID',
      'kafka-security: sasl_ssl needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD_FILE',
      {
        hint: 'see docs/configuration.md#kafka-security',
      },
    );
  }
  const quote = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  const module = security.saslMechanism === 'scram-sha-256' ? 'SCRAM-SHA-256' : 'SCRAM-SHA-512';
  const client = [
    'security.protocol=SASL_SSL',
    `sasl.mechanism=${module}`,
    // A properties value: backslashes are escapes there too, so each is doubled once more.
    `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${quote(security.saslUsername)}" password="${quote(password)}";`.replace(
      /\\/g,
      '\\\\',
    ),
    ...(security.caFile !== undefined
      ? ['ssl.truststore.type=PEM', `ssl.truststore.location=${security.caFile}`]
      : []),
  ];
  return [
    '# Secured broker (KAFKA_SECURITY_*): the worker and its tasks log in as one SCRAM user.',
    `bootstrap.servers=${brokers}`,
    ...client,
    ...['producer.', 'consumer.', 'admin.'].flatMap((prefix) => client.map((line) => prefix + line)),
  ];
}
