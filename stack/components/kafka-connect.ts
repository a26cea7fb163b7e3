/**
 * Kafka Connect (distributed mode) with the Debezium JDBC sink, from Maven Central jars — the
 * baseline our Postgres sink is compared against (docs/connect.md). Not part of `make up`: it is
 * started and stopped on demand with `retail-etl connect start|stop`.
 *
 * Layout under .stack/cache/kafka-connect/: libs/ (the worker: connect-runtime 4.1.1, the broker's
 * version), plugins/debezium-connector-jdbc/ (Debezium's own plugin archive, with the Postgres
 * driver) and plugins/apicurio-converter/ (the Avro converter and its dependencies).
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { environment, kafkaBrokers, kafkaSecurityConfig } from '../../lib/config/index.js';
import { ensureSecretsFile } from '../../lib/connect/connector.js';
import { EtlError } from '../../lib/errors.js';
import { HOST, PORTS } from '../../lib/ports.js';
import type { NativeComponent, StackContext } from '../component.js';
import { javaLaunch, maven, requireJava, requireMaven } from '../java.js';
import { connectSecurityProperties } from '../connect-security.js';
import { launchAndWait } from '../launch.js';
import { httpOk, portIsFree } from '../net.js';
import { isAlive, pidFileFor, readPid, removePidFile, run, stopPid } from '../process.js';

/** Debezium 3.x runs on Java 17 and is built against the Kafka 4 Connect API. */
export const DEBEZIUM_VERSION = '3.3.1.Final';
/** The REST API's address, without credentials (what messages print). */
export const CONNECT_URL = `http://${HOST}:${PORTS.kafkaConnect}`;
export const CONNECT_USER = 'connect';
/** Bumped when the worker's jars change, so an older cache is provisioned again. */
const WORKER_REVISION = 2;

/** The REST API's URL with its credentials (KAFKA_CONNECT_URL). */
export function connectUrl(ctx: StackContext): string {
  const password = ctx.secrets['KAFKA_CONNECT_PASSWORD'];
  if (!password) throw new Error('KAFKA_CONNECT_PASSWORD is missing from the stack secrets');
  return `http://${CONNECT_USER}:${password}@${HOST}:${PORTS.kafkaConnect}`;
}

export const connectDirs = (ctx: StackContext) => ({
  build: join(ctx.paths.cache, 'kafka-connect'),
  libs: join(ctx.paths.cache, 'kafka-connect', 'libs'),
  plugins: join(ctx.paths.cache, 'kafka-connect', 'plugins'),
  config: join(ctx.paths.conf, 'kafka-connect.properties'),
  /** Secrets the connectors read through the worker's file config provider (mode 600). */
  secrets: join(ctx.paths.conf, 'kafka-connect-secrets.properties'),
  /** The REST API's users (user=password) and the JAAS file naming it (both mode 600). */
  users: join(ctx.paths.conf, 'kafka-connect-users.properties'),
  jaas: join(ctx.paths.conf, 'kafka-connect-jaas.conf'),
  template: join(ctx.paths.root, 'connect-config', 'worker.properties'),
  assets: join(ctx.paths.assets, 'kafka-connect'),
});

const MARKER = (ctx: StackContext) =>
  join(connectDirs(ctx).build, `.complete-${DEBEZIUM_VERSION}-r${WORKER_REVISION}`);

function provisionWorker(ctx: StackContext): void {
  const d = connectDirs(ctx);
  mkdirSync(d.build, { recursive: true });
  copyFileSync(join(d.assets, 'pom.xml'), join(d.build, 'pom.xml'));
  maven(ctx, ['dependency:copy-dependencies', `-DoutputDirectory=${d.libs}`], d.build);
}

function provisionDebezium(ctx: StackContext): void {
  const d = connectDirs(ctx);
  // Debezium publishes the plugin as a tar.gz holding the connector and every dependency
  // (Hibernate, c3p0, the JDBC drivers); unpacking it is exactly how Debezium says to install it.
  maven(
    ctx,
    [
      'org.apache.maven.plugins:maven-dependency-plugin:2.8:get',
      `-Dartifact=io.debezium:debezium-connector-jdbc:${DEBEZIUM_VERSION}:tar.gz:plugin`,
      '-Dtransitive=false',
    ],
    d.build,
  );
  const archive = join(
    ctx.paths.cache,
    'm2',
    'io',
    'debezium',
    'debezium-connector-jdbc',
    DEBEZIUM_VERSION,
    `debezium-connector-jdbc-${DEBEZIUM_VERSION}-plugin.tar.gz`,
  );
  rmSync(join(d.plugins, 'debezium-connector-jdbc'), { recursive: true, force: true });
  mkdirSync(d.plugins, { recursive: true });
  run('tar', ['xzf', archive, '-C', d.plugins]);
}

function provisionConverter(ctx: StackContext): void {
  const d = connectDirs(ctx);
  const build = join(d.build, 'apicurio-converter');
  mkdirSync(build, { recursive: true });
  copyFileSync(join(d.assets, 'apicurio-converter', 'pom.xml'), join(build, 'pom.xml'));
  const out = join(d.plugins, 'apicurio-converter');
  rmSync(out, { recursive: true, force: true });
  maven(ctx, ['dependency:copy-dependencies', `-DoutputDirectory=${out}`], build);
}

/**
 * connect-config/worker.properties plus the keys that depend on where this checkout lives, and
 * the SASL_SSL client settings when KAFKA_SECURITY_* asks for a secured broker.
 */
export function workerProperties(ctx: StackContext, env: NodeJS.ProcessEnv = environment()): string {
  const d = connectDirs(ctx);
  return [
    readFileSync(d.template, 'utf8').trimEnd(),
    '',
    '# Appended by stack/components/kafka-connect.ts for this machine:',
    `plugin.path=${d.plugins}`,
    `config.providers.file.param.allowed.paths=${d.secrets}`,
    'rest.extension.classes=org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension',
    ...connectSecurityProperties(kafkaBrokers(env).join(','), kafkaSecurityConfig(env)),
    '',
  ].join('\n');
}

/** The JAAS file of the REST API's basic auth: the users file it reads (KafkaConnect is its entry name). */
export function jaasConfig(ctx: StackContext): string {
  const file = connectDirs(ctx).users.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  return [
    'KafkaConnect {',
    `  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required file="${file}";`,
    '};',
    '',
  ].join('\n');
}

/** The Authorization header of the stack's Connect user. */
export function connectAuthHeader(ctx: StackContext): Record<string, string> {
  const credentials = `${CONNECT_USER}:${ctx.secrets['KAFKA_CONNECT_PASSWORD'] ?? ''}`;
  return { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` };
}

export const kafkaConnect: NativeComponent = {
  name: 'kafka-connect',
  title: `Kafka Connect 4.1 + Debezium JDBC sink ${DEBEZIUM_VERSION}`,
  ports: [PORTS.kafkaConnect],
  stopSignal: 'SIGTERM',
  startTimeoutMs: 120_000,
  url: CONNECT_URL,

  preflight(ctx) {
    requireJava();
    if (!existsSync(MARKER(ctx))) requireMaven();
  },

  async provision(ctx) {
    if (existsSync(MARKER(ctx))) return;
    ctx.progress(
      `kafka-connect: fetching connect-runtime, Debezium JDBC sink ${DEBEZIUM_VERSION} and the Apicurio converter with Maven (first run only, ~75 MB)…`,
    );
    provisionWorker(ctx);
    provisionDebezium(ctx);
    provisionConverter(ctx);
    writeFileSync(MARKER(ctx), new Date().toISOString());
  },

  async prepare(ctx) {
    const d = connectDirs(ctx);
    mkdirSync(ctx.paths.conf, { recursive: true });
    // Mode 600: with a secured broker the file holds the worker's SCRAM password.
    writeFileSync(d.config, workerProperties(ctx), { mode: 0o600 });
    chmodSync(d.config, 0o600);
    writeFileSync(d.users, `${CONNECT_USER}=${ctx.secrets['KAFKA_CONNECT_PASSWORD'] ?? ''}\n`, {
      mode: 0o600,
    });
    chmodSync(d.users, 0o600);
    writeFileSync(d.jaas, jaasConfig(ctx), { mode: 0o600 });
    // The file provider's one allowed path must exist when the worker starts (Kafka refuses an
    // allowed path that does not); `connect apply` adds the connectors' secrets to it.
    ensureSecretsFile(d.secrets);
  },

  launch(ctx) {
    const d = connectDirs(ctx);
    return javaLaunch(
      ['-Xms256m', '-Xmx1g', '-XX:+UseG1GC'],
      {
        'java.awt.headless': 'true',
        // Timestamps the sink writes are converted in UTC whatever the machine's zone is.
        'user.timezone': 'UTC',
        'log4j2.configurationFile': join(d.assets, 'log4j2.properties'),
        'java.security.auth.login.config': d.jaas,
      },
      ['-cp', join(d.libs, '*'), 'org.apache.kafka.connect.cli.ConnectDistributed', d.config],
    );
  },

  // The REST server answers before the worker has joined its group and read the config topic;
  // /connectors only answers 200 once it has.
  healthy: (ctx) => httpOk(`${CONNECT_URL}/connectors`, 2000, connectAuthHeader(ctx)),

  env: (ctx) => ({ KAFKA_CONNECT_URL: connectUrl(ctx) }),
};

export interface WorkerState {
  pid: number | undefined;
  running: boolean;
  healthy: boolean;
}

export async function connectWorkerState(ctx: StackContext): Promise<WorkerState> {
  const pid = readPid(pidFileFor(ctx.paths.run, kafkaConnect.name));
  const running = pid !== undefined && isAlive(pid);
  const healthy = running && (await kafkaConnect.healthy(ctx).catch(() => false));
  return { pid, running, healthy };
}

/** Start the worker unless this stack already runs one; true when this call started it. */
export async function startConnectWorker(ctx: StackContext): Promise<boolean> {
  const state = await connectWorkerState(ctx);
  if (state.running) return false;
  kafkaConnect.preflight?.(ctx);
  if (!(await portIsFree(PORTS.kafkaConnect))) {
    throw new EtlError(
      'PORT_IN_USE',
      `port ${HOST}:${PORTS.kafkaConnect} needed by kafka-connect is already in use`,
      {
        hint: `stop whatever listens there (ss -ltnp 'sport = :${PORTS.kafkaConnect}'), then run \`retail-etl connect start\` again`,
      },
    );
  }
  await kafkaConnect.provision(ctx);
  await kafkaConnect.prepare(ctx);
  await launchAndWait(ctx, kafkaConnect);
  return true;
}

/** Stop the worker this stack started (by its PID file); false when none was running. */
export async function stopConnectWorker(ctx: StackContext): Promise<boolean> {
  const pidFile = pidFileFor(ctx.paths.run, kafkaConnect.name);
  const pid = readPid(pidFile);
  if (pid === undefined) return false;
  const wasAlive = isAlive(pid);
  // A worker leaving its group hands its tasks over; 30 s is Connect's own graceful limit.
  if (wasAlive) await stopPid(pid, kafkaConnect.stopSignal, 30_000);
  removePidFile(pidFile);
  return wasAlive;
}
