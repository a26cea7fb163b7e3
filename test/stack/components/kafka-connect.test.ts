/**
 * The native Connect worker's locked-down configuration (stack/components/kafka-connect.ts):
 * connectors cannot override client settings, the file provider reads one file, the REST API
 * asks for basic auth, and the users and JAAS files are the server owner's alone.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StackContext } from '../../../stack/component.js';
import {
  connectDirs,
  connectUrl,
  kafkaConnect,
  workerProperties,
} from '../../../stack/components/kafka-connect.js';
import { stackPaths } from '../../../stack/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'connect-conf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ctx: StackContext = {
  paths: { ...stackPaths(), conf: join(dir, 'conf') },
  secrets: { KAFKA_CONNECT_PASSWORD: 'c0ffee' },
  progress: () => undefined,
};
const props = (text: string) =>
  Object.fromEntries(
    text
      .split('\n')
      .filter((l) => /^[a-z]/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

describe('kafka-connect worker configuration', () => {
  it('allows no client override, one secrets file, and basic auth on the REST API', () => {
    const p = props(workerProperties(ctx));
    expect(p['connector.client.config.override.policy']).toBe('None');
    expect(p['config.providers.file.param.allowed.paths']).toBe(connectDirs(ctx).secrets);
    expect(p['rest.extension.classes']).toBe(
      'org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension',
    );
    expect(p['listeners']).toBe('http://127.0.0.1:8083');
  });

  it('writes the users and JAAS files mode 600 and points the JVM at them', async () => {
    await kafkaConnect.prepare(ctx);
    const d = connectDirs(ctx);
    expect(readFileSync(d.users, 'utf8')).toBe('connect=c0ffee\n');
    expect(readFileSync(d.jaas, 'utf8')).toContain(`PropertyFileLoginModule required file="${d.users}";`);
    for (const f of [d.users, d.jaas]) expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(connectUrl(ctx)).toBe('http://connect:c0ffee@127.0.0.1:8083');
    expect(kafkaConnect.env(ctx)).toEqual({ KAFKA_CONNECT_URL: connectUrl(ctx) });
  });
});
