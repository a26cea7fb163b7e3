/**
 * Apache Kafka 4.1 in KRaft combined mode (broker + controller in one JVM), from Maven Central jars.
 * kafkajs 2.2.4 speaks only the classic group protocol, which Kafka 4.x still serves, so 4.x it is.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LaunchSpec, NativeComponent, StackContext } from '../component.js';
import { javaLaunch, maven, requireJava, requireMaven } from '../java.js';
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
}

export function serverProperties(node: KafkaNode): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${HOST}:${node.controllerPort}`,
    `listeners=PLAINTEXT://${HOST}:${node.port},CONTROLLER://${HOST}:${node.controllerPort}`,
    `advertised.listeners=PLAINTEXT://${HOST}:${node.port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
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

/** Format a new data directory for `config` (the cluster id is any 16 random bytes, base64url). */
export function formatStorage(ctx: StackContext, config: string): void {
  run(requireJava(), [
    `-Dlog4j2.configurationFile=${dirs(ctx).log4j}`,
    '-cp',
    kafkaClasspath(ctx),
    'kafka.tools.StorageTool',
    'format',
    '-t',
    randomBytes(16).toString('base64url'),
    '-c',
    config,
  ]);
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

/** True when the broker at `brokers` answers metadata with a controller (the port opens earlier). */
export async function brokerAnswers(brokers: string): Promise<boolean> {
  const { createQuietKafka } = await import('../../lib/kafka/client.js');
  const admin = createQuietKafka([brokers], { retry: { retries: 0 } }).admin();
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
  ports: [PORTS.kafka, PORTS.kafkaController],
  stopSignal: 'SIGTERM',
  startTimeoutMs: 90_000,
  url: `${HOST}:${PORTS.kafka}`,

  preflight(ctx) {
    requireJava();
    if (!existsSync(MARKER(ctx))) requireMaven();
  },

  async provision(ctx) {
    const d = dirs(ctx);
    const marker = MARKER(ctx);
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

  launch: (ctx) => brokerLaunch(ctx, dirs(ctx).config, ['-Xms256m', '-Xmx1g', '-XX:+UseG1GC']),

  async healthy() {
    return (await tcpOpen(PORTS.kafka)) && brokerAnswers(`${HOST}:${PORTS.kafka}`);
  },

  env: () => ({ KAFKA_BROKERS: `${HOST}:${PORTS.kafka}` }),
};
