/**
 * Apicurio Registry 3.0 (Maven Central's `all` tar.gz), serving the Confluent-compatible API at
 * /apis/ccompat/v7, with its H2 database in a file so schema ids survive a restart (the Kafka
 * records that carry them do).
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NativeComponent, StackContext } from '../component.js';
import { javaLaunch, maven, requireJava, requireMaven } from '../java.js';
import { httpOk } from '../net.js';
import { run } from '../process.js';
import { HOST, PORTS } from '../../lib/ports.js';

export const APICURIO_VERSION = '3.0.9';
export const CCOMPAT_PATH = '/apis/ccompat/v7';

const dirs = (ctx: StackContext) => ({
  home: join(ctx.paths.cache, 'apicurio', APICURIO_VERSION),
  data: join(ctx.paths.data, 'registry'),
});

const MARKER = (ctx: StackContext) => join(dirs(ctx).home, '.complete');

function runnerJar(home: string): string {
  const jar = readdirSync(home).find((f) => f.endsWith('-runner.jar'));
  if (!jar) throw new Error(`no *-runner.jar in ${home}`);
  return join(home, jar);
}

export const schemaRegistry: NativeComponent = {
  name: 'schema-registry',
  title: `Schema Registry (Apicurio ${APICURIO_VERSION}, Confluent API)`,
  ports: [PORTS.schemaRegistry],
  stopSignal: 'SIGTERM',
  startTimeoutMs: 120_000,
  url: `http://${HOST}:${PORTS.schemaRegistry}${CCOMPAT_PATH}`,

  preflight(ctx) {
    requireJava();
    if (!existsSync(MARKER(ctx))) requireMaven();
  },

  async provision(ctx) {
    const { home } = dirs(ctx);
    const marker = MARKER(ctx);
    if (existsSync(marker)) return;
    ctx.progress(
      `schema-registry: fetching Apicurio Registry ${APICURIO_VERSION} with Maven (first run only, ~110 MB)…`,
    );
    mkdirSync(home, { recursive: true });
    // dependency:get 2.8 with transitive=false: newer plugin versions insist on reading the
    // artifact's parent POM, which Apicurio does not publish to Maven Central.
    maven(
      ctx,
      [
        'org.apache.maven.plugins:maven-dependency-plugin:2.8:get',
        `-Dartifact=io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`,
        '-Dtransitive=false',
      ],
      home,
    );
    const archive = join(
      ctx.paths.cache,
      'm2',
      'io',
      'apicurio',
      'apicurio-registry-app',
      APICURIO_VERSION,
      `apicurio-registry-app-${APICURIO_VERSION}-all.tar.gz`,
    );
    run('tar', ['xzf', archive, '-C', home]);
    writeFileSync(marker, new Date().toISOString());
  },

  async prepare(ctx) {
    mkdirSync(dirs(ctx).data, { recursive: true });
  },

  launch(ctx) {
    const d = dirs(ctx);
    return javaLaunch(
      ['-Xms128m', '-Xmx512m'],
      {
        'quarkus.http.host': HOST,
        'quarkus.http.port': String(PORTS.schemaRegistry),
        'quarkus.management.enabled': 'false',
        'quarkus.http.access-log.enabled': 'false',
        'apicurio.datasource.url': `jdbc:h2:file:${join(d.data, 'registry')}`,
      },
      ['-jar', runnerJar(d.home)],
    );
  },

  healthy: () => httpOk(`http://${HOST}:${PORTS.schemaRegistry}${CCOMPAT_PATH}/subjects`),

  env: () => ({ SCHEMA_REGISTRY_URL: `http://${HOST}:${PORTS.schemaRegistry}${CCOMPAT_PATH}` }),
};
