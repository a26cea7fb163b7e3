/**
 * Apache Kafka 4.1 in KRaft combined mode (broker + controller in one JVM), from Maven Central jars.
 * kafkajs 2.2.4 speaks only the classic group protocol, which Kafka 4.x still serves, so 4.x it is.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LaunchSpec, NativeComponent, StackContext } from '../component.js';
import { javaLaunch, maven, requireJava, requireMaven } from '../java.js';
import type { KafkaTlsFiles } from '../kafka-tls.js';
import { BROKER_PRINCIPAL } from '../kafka-tls.js';
import { jmxAgentFlag, jmxAgentJar, provisionJmxAgent } from '../kafka-metrics.js';
import { tcpOpen } from '../net.js';
import { run } from '../process.js';
import { HOST, PORTS } from '../../lib/ports.js';

const dirs = (ctx: StackContext) => ({
  build: join(ctx.paths.cache, 'kafka'),
  libs: join(ctx.paths.cache, 'kafka', 'libs'),
  data: join(ctx.paths.data, 'kafka'),
  config: join(ctx.paths.conf, 'kafka.properties'),
  log4j: join(ctx.paths.assets, 'kafka', 'log4j2.properties'),
});

const MARKER = (ctx: StackContext) => join(dirs(ctx).libs, '.complete');

export function kafkaClasspath(ctx: StackContext): string {
  return join(dirs(ctx).libs, '*');
}

/** Where one single-node KRaft server listens and keeps its data (the stack's, or a test's own). */
export interface KafkaNode {
  port: number;
  controllerPort: number;
  dataDir: string;
  /** Partitions of the internal offsets and transaction topics (fewer start faster). */
  internalPartitions: number;
  /** Secured instead of PLAINTEXT: `port` is then the SASL_SSL listener (docs/security.md#kafka). */
  secure?: SecureKafka;
}

/** A broker with no PLAINTEXT listener: SCRAM over TLS, mutual TLS, ACLs enforced. */
export interface SecureKafka {
  /** The SSL listener that requires a client certificate (mutual TLS; the CN is the principal). */
  mtlsPort: number;
  tls: KafkaTlsFiles;
  /** SCRAM users that may do anything (the admin that creates topics and ACLs); the broker is one too. */
  superUsers: string[];
}

function listenerProperties(node: KafkaNode): string[] {
  const controller = `CONTROLLER://${HOST}:${node.controllerPort}`;
  const s = node.secure;
  if (s === undefined) {
    return [
      `listeners=PLAINTEXT://${HOST}:${node.port},${controller}`,
      `advertised.listeners=PLAINTEXT://${HOST}:${node.port}`,
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    ];
  }
  const clients = `SASL_SSL://${HOST}:${node.port},SSL://${HOST}:${s.mtlsPort}`;
  return [
    `listeners=${clients},${controller}`,
    `advertised.listeners=${clients}`,
    // The broker talks to itself and to its controller over mutual TLS with its own certificate,
    // so no listener is left where an anonymous connection could reach a super user's rights.
    'listener.security.protocol.map=SASL_SSL:SASL_SSL,SSL:SSL,CONTROLLER:SSL',
    'inter.broker.listener.name=SSL',
    'sasl.enabled.mechanisms=SCRAM-SHA-512',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'ssl.keystore.type=PEM',
    `ssl.keystore.location=${s.tls.brokerKeystore}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${s.tls.ca}`,
    'listener.name.ssl.ssl.client.auth=required',
    'listener.name.controller.ssl.client.auth=required',
    // CN=<name> → User:<name>: a certificate's principal is the same name as a SCRAM user's.
    'ssl.principal.mapping.rules=RULE:^CN=([^,]+)$/$1/,DEFAULT',
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'allow.everyone.if.no.acl.found=false',
    `super.users=${[BROKER_PRINCIPAL, ...s.superUsers].map((u) => `User:${u}`).join(';')}`,
  ];
}

export function serverProperties(node: KafkaNode): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${HOST}:${node.controllerPort}`,
    ...listenerProperties(node),
    'controller.listener.names=CONTROLLER',
    `log.dirs=${node.dataDir}`,
    'num.partitions=3',
    // A single node: every internal topic has one replica.
    'offsets.topic.replication.factor=1',
    `offsets.topic.num.partitions=${node.internalPartitions}`,
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    `transaction.state.log.num.partitions=${node.internalPartitions}`,
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    // Tests and `make up` start consumers right away; the 3 s default only slows the first join.
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    'log.retention.hours=168',
    'log.segment.bytes=268435456',
    '',
  ].join('\n');
}

export interface ScramUser {
  name: string;
  password: string;
}

/**
 * Format a new data directory for `config` (the cluster id is any 16 random bytes, base64url),
 * with SCRAM-SHA-512 credentials for `scramUsers` written into the first metadata (KRaft has no
 * other way to have a user before the broker runs). The arguments go through a Java argument file
 * (mode 600, removed after) so no password is ever on a command line.
 */
export function formatStorage(ctx: StackContext, config: string, scramUsers: ScramUser[] = []): void {
  const args = [
    `-Dlog4j2.configurationFile=${dirs(ctx).log4j}`,
    '-cp',
    kafkaClasspath(ctx),
    'kafka.tools.StorageTool',
    'format',
    // One argument with `=`: a random id may begin with '-', which the parser would take for an option.
    `--cluster-id=${randomBytes(16).toString('base64url')}`,
    '-c',
    config,
    ...scramUsers.flatMap((u) => ['--add-scram', `SCRAM-SHA-512=[name=${u.name},password=${u.password}]`]),
  ];
  if (scramUsers.length === 0) {
    run(requireJava(), args);
    return;
  }
  const argFile = join(dirname(config), 'format.args');
  // One argument a line, quoted: the launcher reads backslashes and spaces in an @file as syntax.
  writeFileSync(argFile, args.map((a) => `"${a}"`).join('\n') + '\n', { mode: 0o600 });
  try {
    run(requireJava(), [`@${argFile}`]);
  } finally {
    rmSync(argFile, { force: true });
  }
}

/** The JVM command line of a broker with this `config`; `heap` is e.g. ['-Xmx1g', '-XX:+UseG1GC']. */
export function brokerLaunch(ctx: StackContext, config: string, heap: string[]): LaunchSpec {
  return javaLaunch(heap, { 'java.awt.headless': 'true', 'log4j2.configurationFile': dirs(ctx).log4j }, [
    '-cp',
    kafkaClasspath(ctx),
    'kafka.Kafka',
    config,
  ]);
}

/**
 * True when the broker at `brokers` answers metadata with a controller (the port opens earlier).
 * `security` holds the KAFKA_SECURITY_* variables of a secured broker's admin.
 */
export async function brokerAnswers(brokers: string, security: NodeJS.ProcessEnv = {}): Promise<boolean> {
  const { createQuietKafka } = await import('../../lib/kafka/client.js');
  const { kafkaSecurityFromEnv } = await import('../../lib/kafka/security.js');
  const admin = createQuietKafka([brokers], {
    ...kafkaSecurityFromEnv(security),
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.controller !== null && cluster.brokers.length > 0;
  } finally {
    await admin.disconnect();
  }
}

export const kafka: NativeComponent = {
  name: 'kafka',
  title: 'Apache Kafka 4.1 (KRaft)',
  // The JMX exporter agent's port too: it runs inside the broker's JVM.
  ports: [PORTS.kafka, PORTS.kafkaController, PORTS.kafkaMetrics],
  stopSignal: 'SIGTERM',
  startTimeoutMs: 90_000,
  url: `${HOST}:${PORTS.kafka}`,

  preflight(ctx) {
    requireJava();
    if (!existsSync(MARKER(ctx)) || !existsSync(jmxAgentJar(ctx))) requireMaven();
  },

  async provision(ctx) {
    const d = dirs(ctx);
    const marker = MARKER(ctx);
    provisionJmxAgent(ctx);
    if (existsSync(marker)) return;
    ctx.progress('kafka: fetching Kafka 4.1 jars with Maven (first run only)…');
    mkdirSync(d.build, { recursive: true });
    copyFileSync(join(ctx.paths.assets, 'kafka', 'pom.xml'), join(d.build, 'pom.xml'));
    maven(ctx, ['dependency:copy-dependencies', `-DoutputDirectory=${d.libs}`], d.build);
    writeFileSync(marker, new Date().toISOString());
  },

  async prepare(ctx) {
    const d = dirs(ctx);
    mkdirSync(ctx.paths.conf, { recursive: true });
    writeFileSync(
      d.config,
      serverProperties({
        port: PORTS.kafka,
        controllerPort: PORTS.kafkaController,
        dataDir: d.data,
        internalPartitions: 10,
      }),
    );
    if (existsSync(join(d.data, 'meta.properties'))) return;
    mkdirSync(d.data, { recursive: true });
    formatStorage(ctx, d.config);
  },

  launch: (ctx) =>
    brokerLaunch(ctx, dirs(ctx).config, ['-Xms256m', '-Xmx1g', '-XX:+UseG1GC', jmxAgentFlag(ctx)]),

  async healthy() {
    return (await tcpOpen(PORTS.kafka)) && brokerAnswers(`${HOST}:${PORTS.kafka}`);
  },

  env: () => ({ KAFKA_BROKERS: `${HOST}:${PORTS.kafka}` }),
};
