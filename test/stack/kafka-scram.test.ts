/**
 * The pieces of a SCRAM rotation that need no broker (stack/kafka-scram.ts): what the broker's
 * tool gets as files and on its command line (never a password), the order (admin last), and
 * when the stack's broker counts as secured.
 */
import { describe, expect, it } from 'vitest';
import {
  adminClientProperties,
  configCommandArgs,
  newScramPassword,
  rotationOrder,
  saslListenerOf,
  scramCredentialProperties,
} from '../../stack/kafka-scram.js';

describe('kafka SCRAM rotation', () => {
  it('passes the credential and the admin login as files; the command line holds neither password', () => {
    const password = newScramPassword();
    expect(password).toMatch(/^[0-9a-f]{36}$/);
    expect(scramCredentialProperties(password)).toBe(`SCRAM-SHA-512=password=${password}\n`);
    const admin = adminClientProperties('/x/ca.crt', 'adminpw1');
    expect(admin).toContain('security.protocol=SASL_SSL\n');
    expect(admin).toContain('username="admin" password="adminpw1";');
    expect(admin).toContain('ssl.truststore.location=/x/ca.crt');
    const args = configCommandArgs({
      classpath: '/libs/*',
      bootstrap: '127.0.0.1:9094',
      commandConfig: '/t/admin.properties',
      principal: 'sink-postgres',
      addConfigFile: '/t/credential.properties',
    });
    expect(args.join(' ')).toContain(
      'kafka.admin.ConfigCommand --bootstrap-server 127.0.0.1:9094 --command-config /t/admin.properties --alter --entity-type users --entity-name sink-postgres --add-config-file /t/credential.properties',
    );
    expect(args.join(' ')).not.toContain(password);
    expect(args.join(' ')).not.toContain('adminpw1');
  });

  it('refuses a password a JAAS line or the properties file would have to escape', () => {
    expect(() => scramCredentialProperties('a b')).toThrow();
    expect(() => adminClientProperties('/ca', 'x";y')).toThrow();
  });

  it('rotates the admin last, whatever the order given', () => {
    expect(rotationOrder(['admin', 'producer', 'sink-postgres'])).toEqual([
      'producer',
      'sink-postgres',
      'admin',
    ]);
    expect(rotationOrder(['producer'])).toEqual(['producer']);
  });

  it('finds the SASL_SSL listener of a secured broker, none on make up’s PLAINTEXT one', () => {
    expect(
      saslListenerOf(
        'node.id=1\nlisteners=SASL_SSL://127.0.0.1:9094,SSL://127.0.0.1:9095,CONTROLLER://127.0.0.1:9093\n',
      ),
    ).toBe('127.0.0.1:9094');
    expect(
      saslListenerOf('listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093\n'),
    ).toBeUndefined();
    expect(saslListenerOf('advertised.listeners=SASL_SSL://127.0.0.1:9094\n')).toBeUndefined();
  });
});
