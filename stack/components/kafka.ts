/**
 * Apache Kafka 4.1 in KRaft combined mode (broker + controller in one JVM), from Maven Central jars.
 * kafkajs 2.2.4 speaks only the classic group protocol, which Kafka 4.x still serves, so 4.x it is.
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NativeComponent, StackContext } from '../component.js';
import { maven, requireJava, requireMaven } from '../java.js';
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

function serverProperties(dataDir: string): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${HOST}:${PORTS.kafkaController}`,
    `listeners=PLAINTEXT://${HOST}:${PORTS.kafka},CONTROLLER://${HOST}:${PORTS.kafkaController}`,
    `advertised.listeners=PLAINTEXT://${HOST}:${PORTS.kafka}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=3',
    // A single node: every internal topic has one replica.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=10',
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
    writeFileSync(d.config, serverProperties(d.data));
    if (existsSync(join(d.data, 'meta.properties'))) return;
    mkdirSync(d.data, { recursive: true });
    const java = requireJava();
    const cp = kafkaClasspath(ctx);
    const clusterId =
      run(java, ['-cp', cp, 'kafka.tools.StorageTool', 'random-uuid']).trim().split('\n').pop() ?? '';
    run(java, [
      `-Dlog4j2.configurationFile=${d.log4j}`,
      '-cp',
      cp,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      d.config,
    ]);
  },

  launch(ctx) {
    const d = dirs(ctx);
    return {
      command: requireJava(),
      args: [
        '-Xms256m',
        '-Xmx1g',
        '-XX:+UseG1GC',
        '-Djava.awt.headless=true',
        `-Dlog4j2.configurationFile=${d.log4j}`,
        '-cp',
        kafkaClasspath(ctx),
        'kafka.Kafka',
        d.config,
      ],
    };
  },

  async healthy() {
    if (!(await tcpOpen(PORTS.kafka))) return false;
    // The port opens before the broker has joined the quorum; ask it for metadata.
    const { createQuietKafka } = await import('../../lib/kafka/client.js');
    const admin = createQuietKafka([`${HOST}:${PORTS.kafka}`], { retry: { retries: 0 } }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return cluster.controller !== null && cluster.brokers.length > 0;
    } finally {
      await admin.disconnect();
    }
  },

  env: () => ({ KAFKA_BROKERS: `${HOST}:${PORTS.kafka}` }),
};
