/**
 * A Kafka broker of a test's own (KRaft, single node) on free ports with its data under
 * .stack/tmp/<uuid>, for tests that must stop or restart Kafka — never the shared one.
 * It is launched by the shared stack's own code (stack/components/kafka.ts: properties, storage
 * format, JVM command line, health check); only the ports, the heap and the internal topics'
 * partition count differ.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StackContext } from '../../stack/component.js';
import {
  brokerAnswers,
  brokerLaunch,
  formatStorage,
  serverProperties,
} from '../../stack/components/kafka.js';
import { freePort } from '../../stack/net.js';
import { stackPaths } from '../../stack/paths.js';
import { waitUntil } from '../../stack/wait.js';

const ctx: StackContext = { paths: stackPaths(), secrets: {}, progress: () => undefined };

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

  /** On free ports, or on `ports` (a test that must stay in a port range of its own). */
  static async create(ports?: { port: number; controllerPort: number }): Promise<ThrowawayKafka> {
    const k = new ThrowawayKafka(
      ports?.port ?? (await freePort()),
      ports?.controllerPort ?? (await freePort()),
    );
    k.format();
    await k.start();
    return k;
  }

  private get config(): string {
    return join(this.dir, 'server.properties');
  }

  private format(): void {
    const dataDir = join(this.dir, 'data');
    mkdirSync(dataDir, { recursive: true });
    const node = { port: this.port, controllerPort: this.controllerPort, dataDir, internalPartitions: 1 };
    writeFileSync(this.config, serverProperties(node));
    formatStorage(ctx, this.config);
  }

  async start(): Promise<void> {
    const spec = brokerLaunch(ctx, this.config, ['-Xms128m', '-Xmx512m', '-XX:+UseSerialGC']);
    const out = openSync(join(this.dir, 'kafka.log'), 'a');
    this.child = spawn(spec.command, spec.args, { stdio: ['ignore', out, out] });
    closeSync(out);
    const ok = await waitUntil(() => brokerAnswers(this.brokers), { timeoutMs: 90_000, intervalMs: 500 });
    if (!ok)
      throw new Error(`throwaway Kafka on ${this.port} did not become healthy (log: ${this.dir}/kafka.log)`);
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

  /** kill -9: no clean shutdown (the log is recovered at the next start). */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
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
