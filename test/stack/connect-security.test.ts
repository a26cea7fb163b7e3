/** The Connect worker's client settings on a secured broker: SCRAM over TLS for the worker and every task client. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaSecurityConfig } from '../../lib/config/index.js';
import { connectSecurityProperties } from '../../stack/connect-security.js';

const dir = mkdtempSync(join(tmpdir(), 'connect-security-test-'));
const passwordFile = join(dir, 'connect.password');
writeFileSync(passwordFile, 'pw"with\\odd\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Kafka Connect worker security properties', () => {
  it('plaintext: nothing added', () => {
    expect(connectSecurityProperties('127.0.0.1:9092', kafkaSecurityConfig({}))).toEqual([]);
  });

  it('sasl_ssl: the worker, its producers, consumers and admin clients log in with SCRAM and trust the CA', () => {
    const lines = connectSecurityProperties(
      '127.0.0.1:9192',
      kafkaSecurityConfig({
        KAFKA_SECURITY_PROTOCOL: 'sasl_ssl',
        KAFKA_SASL_USERNAME: 'connect',
        KAFKA_SASL_PASSWORD_FILE: passwordFile,
        KAFKA_SSL_CA_FILE: '/etc/kafka/ca.crt',
      }),
    );
    expect(lines).toContain('bootstrap.servers=127.0.0.1:9192');
    for (const prefix of ['', 'producer.', 'consumer.', 'admin.']) {
      expect(lines).toContain(`${prefix}security.protocol=SASL_SSL`);
      expect(lines).toContain(`${prefix}sasl.mechanism=SCRAM-SHA-512`);
      expect(lines).toContain(`${prefix}ssl.truststore.location=/etc/kafka/ca.crt`);
    }
    // JAAS quoting (pw\"with\\odd), then properties escaping doubles each backslash once more.
    expect(lines).toContain(
      String.raw`sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="connect" password="pw\\"with\\\\odd";`,
    );
  });

  it('mutual TLS is refused for the worker, with what to do instead', () => {
    expect(() =>
      connectSecurityProperties(
        '127.0.0.1:9192',
        kafkaSecurityConfig({
          KAFKA_SECURITY_PROTOCOL: 'ssl',
          KAFKA_SSL_CERT_FILE: '/c',
          KAFKA_SSL_KEY_FILE: '/k',
        }),
      ),
    ).toThrow(/supports KAFKA_SECURITY_PROTOCOL=sasl_ssl without a client certificate/);
  });
});
