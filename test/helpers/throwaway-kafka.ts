/**
 * A Kafka broker of a test's own (KRaft, single node) on free ports with its data under
 * .stack/tmp/<uuid>, for tests that must stop or restart Kafka — never the shared one.
 * It reuses the shared stack's jars (stack/components/kafka.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createQuietKafka } from '../../lib/kafka/index.js';
import { kafkaClasspath } from '../../stack/components/kafka.js';
import { requireJava } from '../../stack/java.js';
import { stackPaths } from '../../stack/paths.js';
import { run, waitFor } from '../../stack/process.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export class ThrowawayKafka {
  private child: ChildProcess | undefined;
  readonly dir: string;

  private constructor(
    readonly port: number,
    private readonly controllerPort: number,
  ) {
    this.dir = join(stackPaths().stack, 'tmp', randomUUID());
  }

  get brokers(): string {
    return `127.0.0.1:${this.port}`;
  }

  static async create(): Promise<ThrowawayKafka> {
    const k = new ThrowawayKafka(await freePort(), await freePort());
    k.format();
    await k.start();
    return k;
  }

  private get config(): string {
    return join(this.dir, 'server.properties');
  }

  private format(): void {
    mkdirSync(join(this.dir, 'data'), { recursive: true });
    writeFileSync(
      this.config,
      [
        'process.roles=broker,controller',
        'node.id=1',
        `controller.quorum.voters=1@127.0.0.1:${this.controllerPort}`,
        `listeners=PLAINTEXT://127.0.0.1:${this.port},CONTROLLER://127.0.0.1:${this.controllerPort}`,
        `advertised.listeners=PLAINTEXT://127.0.0.1:${this.port}`,
        'controller.listener.names=CONTROLLER',
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        `log.dirs=${join(this.dir, 'data')}`,
        'offsets.topic.replication.factor=1',
        'offsets.topic.num.partitions=1',
        'transaction.state.log.replication.factor=1',
        'transaction.state.log.min.isr=1',
        'transaction.state.log.num.partitions=1',
        'share.coordinator.state.topic.replication.factor=1',
        'share.coordinator.state.topic.min.isr=1',
        'group.initial.rebalance.delay.ms=0',
        'auto.create.topics.enable=false',
        '',
      ].join('\n'),
    );
    const java = requireJava();
    const cp = kafkaClasspath({ paths: stackPaths(), secrets: {}, progress: () => undefined });
    const log4j = join(stackPaths().assets, 'kafka', 'log4j2.properties');
    run(java, [
      `-Dlog4j2.configurationFile=${log4j}`,
      '-cp',
      cp,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      randomBytes(16).toString('base64url'),
      '-c',
      this.config,
    ]);
  }

  async start(): Promise<void> {
    const java = requireJava();
    const cp = kafkaClasspath({ paths: stackPaths(), secrets: {}, progress: () => undefined });
    const log4j = join(stackPaths().assets, 'kafka', 'log4j2.properties');
    const out = openSync(join(this.dir, 'kafka.log'), 'a');
    this.child = spawn(
      java,
      [
        '-Xms128m',
        '-Xmx512m',
        '-XX:+UseSerialGC',
        `-Dlog4j2.configurationFile=${log4j}`,
        '-cp',
        cp,
        'kafka.Kafka',
        this.config,
      ],
      { stdio: ['ignore', out, out] },
    );
    closeSync(out);
    const ok = await waitFor(() => this.healthy(), 90_000, 500);
    if (!ok)
      throw new Error(`throwaway Kafka on ${this.port} did not become healthy (log: ${this.dir}/kafka.log)`);
  }

  private async healthy(): Promise<boolean> {
    const admin = createQuietKafka([this.brokers], {
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

  /** Stop the broker (SIGTERM, a clean shutdown; SIGKILL after 30 s). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
    this.child = undefined;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Stop and delete the data directory. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
