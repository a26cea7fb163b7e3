/** KAFKA_SECURITY_* → kafkajs `ssl`/`sasl`: each protocol, the files read, the mistakes refused, nothing secret logged. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaSecurityConfig } from '../../../lib/config/index.js';
import { describeKafkaSecurity, kafkaSecurityFromEnv } from '../../../lib/kafka/security.js';
import { createLogger } from '../../../lib/logger.js';

const dir = mkdtempSync(join(tmpdir(), 'kafka-security-test-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const ca = file('ca.crt', '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n');
const cert = file('client.crt', '-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n');
const key = file('client.key', '-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n');
const passwordFile = file('producer.password', 's3cret-from-file\n');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Kafka client security settings', () => {
  it('plaintext by default: no ssl, no sasl', () => {
    expect(kafkaSecurityFromEnv({})).toEqual({});
  });

  it('sasl_ssl: SCRAM-SHA-512 with the password from its file (newline dropped) and the CA verified', () => {
    const options = kafkaSecurityFromEnv({
      KAFKA_SECURITY_PROTOCOL: 'sasl_ssl',
      KAFKA_SASL_USERNAME: 'producer',
      KAFKA_SASL_PASSWORD_FILE: passwordFile,
      KAFKA_SSL_CA_FILE: ca,
    });
    expect(options.sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'producer',
      password: 's3cret-from-file',
    });
    expect(options.ssl).toEqual({ rejectUnauthorized: true, ca: [expect.stringContaining('CA')] });
  });

  it('ssl with a client certificate: mutual TLS, no sasl', () => {
    const options = kafkaSecurityFromEnv({
      KAFKA_SECURITY_PROTOCOL: 'ssl',
      KAFKA_SSL_CA_FILE: ca,
      KAFKA_SSL_CERT_FILE: cert,
      KAFKA_SSL_KEY_FILE: key,
      KAFKA_SSL_SERVERNAME: 'kafka.internal',
    });
    expect(options.sasl).toBeUndefined();
    expect(options.ssl).toMatchObject({
      rejectUnauthorized: true,
      cert: expect.stringContaining('CLIENT'),
      key: expect.stringContaining('KEY'),
      servername: 'kafka.internal',
    });
  });

  it('refuses settings that would quietly not be secure, naming the variables and never the secret', () => {
    const cases: [NodeJS.ProcessEnv, RegExp][] = [
      [
        { KAFKA_SASL_USERNAME: 'p', KAFKA_SASL_PASSWORD: 'pw-1' },
        /KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD set but KAFKA_SECURITY_PROTOCOL is plaintext/,
      ],
      [
        { KAFKA_SECURITY_PROTOCOL: 'sasl_ssl', KAFKA_SASL_USERNAME: 'p' },
        /sasl_ssl needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD_FILE/,
      ],
      [
        {
          KAFKA_SECURITY_PROTOCOL: 'sasl_ssl',
          KAFKA_SASL_USERNAME: 'p',
          KAFKA_SASL_PASSWORD: 'pw-1',
          KAFKA_SASL_PASSWORD_FILE: passwordFile,
        },
        /set KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, not both/,
      ],
      [
        { KAFKA_SECURITY_PROTOCOL: 'ssl', KAFKA_SSL_CERT_FILE: cert },
        /KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together/,
      ],
      [
        { KAFKA_SECURITY_PROTOCOL: 'ssl', KAFKA_SASL_PASSWORD: 'pw-1' },
        /KAFKA_SASL_\* set but KAFKA_SECURITY_PROTOCOL is ssl/,
      ],
      [
        { KAFKA_SECURITY_PROTOCOL: 'ssl', KAFKA_SSL_CA_FILE: join(dir, 'missing.crt') },
        /KAFKA_SSL_CA_FILE names .*missing\.crt, which cannot be read \(ENOENT\)/,
      ],
      [{ KAFKA_SECURITY_PROTOCOL: 'tls' }, /protocol must be one of plaintext, ssl, sasl_ssl/],
    ];
    for (const [env, message] of cases) {
      let caught: unknown;
      try {
        kafkaSecurityFromEnv(env);
      } catch (err) {
        caught = err;
      }
      expect(caught, JSON.stringify(env)).toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringMatching(message),
      });
      expect((caught as Error).message).not.toContain('pw-1');
    }
  });

  it('what a log may say: protocol, principal and files — a logged config holds no password', () => {
    const env = {
      KAFKA_SECURITY_PROTOCOL: 'sasl_ssl',
      KAFKA_SASL_USERNAME: 'producer',
      KAFKA_SASL_PASSWORD: 'pw-in-env',
      KAFKA_SSL_CA_FILE: ca,
    };
    const described = describeKafkaSecurity(kafkaSecurityConfig(env));
    expect(described).toEqual({
      protocol: 'sasl_ssl',
      mechanism: 'scram-sha-512',
      username: 'producer',
      caFile: ca,
    });
    const lines: string[] = [];
    const logger = createLogger('test', { level: 'debug', write: (l) => lines.push(l) });
    logger.debug('kafka client', { security: described, sasl: kafkaSecurityFromEnv(env).sasl });
    expect(lines.join('\n')).toContain('"username":"producer"');
    expect(lines.join('\n')).not.toContain('pw-in-env');
  });
});
