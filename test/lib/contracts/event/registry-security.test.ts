/** SCHEMA_REGISTRY_* security settings → the registry client's basic auth and TLS agent. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { schemaRegistrySecurityConfig } from '../../../../lib/config/index.js';
import { registryClientSecurity } from '../../../../lib/contracts/event/registry-security.js';

const dir = mkdtempSync(join(tmpdir(), 'registry-security-test-'));
const ca = join(dir, 'ca.crt');
const passwordFile = join(dir, 'registry.password');
writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n');
writeFileSync(passwordFile, 'reg-secret\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const security = (url: string, env: NodeJS.ProcessEnv) =>
  registryClientSecurity(url, schemaRegistrySecurityConfig(env));

describe('Schema Registry client security', () => {
  it('nothing set: no auth, the default agent', () => {
    expect(security('http://127.0.0.1:8081/apis/ccompat/v7', {})).toEqual({});
  });

  it('https with a CA file and basic auth from a password file', () => {
    const out = security('https://registry.internal:8443', {
      SCHEMA_REGISTRY_CA_FILE: ca,
      SCHEMA_REGISTRY_USERNAME: 'etl',
      SCHEMA_REGISTRY_PASSWORD_FILE: passwordFile,
    });
    expect(out.auth).toEqual({ username: 'etl', password: 'reg-secret' });
    expect(out.agent).toBeInstanceOf(Agent);
    expect(out.agent?.options.ca).toEqual([expect.stringContaining('CA')]);
  });

  it('refuses credentials in the URL, a URL that is none, a CA for http, basic auth over plain http to another host', () => {
    expect(() => security('http://u:p@127.0.0.1:8081', {})).toThrow(
      /SCHEMA_REGISTRY_URL carries credentials/,
    );
    expect(() => security('127.0.0.1:8081', {})).toThrow(/SCHEMA_REGISTRY_URL is not a URL/);
    expect(() => security('http://127.0.0.1:8081', { SCHEMA_REGISTRY_CA_FILE: ca })).toThrow(/is not https/);
    expect(() =>
      security('http://registry.internal:8081', {
        SCHEMA_REGISTRY_USERNAME: 'etl',
        SCHEMA_REGISTRY_PASSWORD: 'x',
      }),
    ).toThrow(/needs an https:\/\/ SCHEMA_REGISTRY_URL/);
    expect(() => security('https://registry.internal', { SCHEMA_REGISTRY_USERNAME: 'etl' })).toThrow(
      /go together/,
    );
  });
});
