/** The broker's properties: PLAINTEXT by default; a secured broker has no listener left open. */
import { describe, expect, it } from 'vitest';
import { serverProperties } from '../../../stack/components/kafka.js';

const node = { port: 9092, controllerPort: 9093, dataDir: '/d', internalPartitions: 1 };

function props(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

describe('kafka server properties', () => {
  it('default: PLAINTEXT for clients and controller, no authorizer', () => {
    const p = props(serverProperties(node));
    expect(p['listeners']).toBe('PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093');
    expect(p['authorizer.class.name']).toBeUndefined();
  });

  it('secured: SASL_SSL and mutual-TLS listeners, mutual TLS to the controller, ACLs enforced', () => {
    const p = props(
      serverProperties({
        ...node,
        secure: {
          mtlsPort: 9094,
          superUsers: ['admin'],
          tls: { dir: '/t', ca: '/t/ca.crt', brokerKeystore: '/t/broker.pem', clients: {} },
        },
      }),
    );
    expect(p['listeners']).toBe('SASL_SSL://127.0.0.1:9092,SSL://127.0.0.1:9094,CONTROLLER://127.0.0.1:9093');
    expect(p['listener.security.protocol.map']).not.toContain('PLAINTEXT');
    expect(p['listener.name.ssl.ssl.client.auth']).toBe('required');
    expect(p['listener.name.controller.ssl.client.auth']).toBe('required');
    expect(p['sasl.enabled.mechanisms']).toBe('SCRAM-SHA-512');
    expect(p['authorizer.class.name']).toBe('org.apache.kafka.metadata.authorizer.StandardAuthorizer');
    expect(p['allow.everyone.if.no.acl.found']).toBe('false');
    expect(p['super.users']).toBe('User:retail-kafka-broker;User:admin');
  });
});
