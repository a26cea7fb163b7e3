/**
 * A Kafka broker of a test's own (KRaft, single node) on free ports with its data under
 * .stack/tmp/<uuid>, for tests that must stop or restart Kafka — never the shared one.
 * It is launched by the shared stack's own code (stack/components/kafka.ts: properties, storage
 * format, JVM command line, health check); only the ports, the heap and the internal topics'
 * partition count differ. `secure: true` makes it a secured broker (stack/kafka-secure.ts): no
 * PLAINTEXT listener, SCRAM over TLS on `port`, mutual TLS on `mtlsPort`, ACLs per principal.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StackContext } from '../../stack/component.js';
import type { KafkaNode } from '../../stack/components/kafka.js';
import {
  brokerAnswers,
  brokerLaunch,
  formatStorage,
  serverProperties,
} from '../../stack/components/kafka.js';
import type { SecureKafkaFiles } from '../../stack/kafka-secure.js';
import {
  applyPrincipalAcls,
  ensureSecureKafkaFiles,
  mtlsEnv,
  saslEnv,
  scramUsers,
  secureListeners,
} from '../../stack/kafka-secure.js';
import { KAFKA_ADMIN_PRINCIPAL } from '../../stack/kafka-principals.js';
import { freePort } from '../../stack/net.js';
import { stackPaths } from '../../stack/paths.js';
import { waitUntil } from '../../stack/wait.js';

const ctx: StackContext = { paths: stackPaths(), secrets: {}, progress: () => undefined };

export interface ThrowawayKafkaOptions {
  /** A secured broker: SASL_SSL on `port`, mutual TLS on `mtlsPort`, ACLs per principal. */
  secure?: boolean;
  /** Principals that get a client certificate for mutual TLS (secure only). */
  mtlsClients?: string[];
  /** First of three consecutive ports to use instead of free ones the OS picks. */
  basePort?: number;
  /** Parent folder of the broker's folder (default .stack/tmp). */
  parentDir?: string;
}

export class ThrowawayKafka {
  private child: ChildProcess | undefined;
  readonly dir: string;
  private secureFiles: SecureKafkaFiles | undefined;

  private constructor(
    readonly port: number,
    private readonly controllerPort: number,
    readonly mtlsPort: number,
    parentDir: string,
  ) {
    this.dir = join(parentDir, randomUUID());
  }

  get brokers(): string {
    return `127.0.0.1:${this.port}`;
  }

  static async create(options: ThrowawayKafkaOptions = {}): Promise<ThrowawayKafka> {
    const b = options.basePort;
    const k = new ThrowawayKafka(
      b ?? (await freePort()),
      b !== undefined ? b + 1 : await freePort(),
      b !== undefined ? b + 2 : await freePort(),
      options.parentDir ?? join(stackPaths().stack, 'tmp'),
    );
    if (options.secure) k.secureFiles = ensureSecureKafkaFiles(k.dir, options.mtlsClients ?? []);
    k.format();
    await k.start();
    if (k.secureFiles) await applyPrincipalAcls(k.secureFiles, k.port);
    return k;
  }

  /** The certificates and SCRAM password files of a secured broker (a rotation rewrites them). */
  get secure(): SecureKafkaFiles {
    if (!this.secureFiles) throw new Error('secure: this throwaway broker is not secured');
    return this.secureFiles;
  }

  /** The environment of a process logging in as `principal` (SCRAM over TLS); secure only. */
  saslEnv(principal: string): Record<string, string> {
    if (!this.secureFiles) throw new Error('saslEnv: this throwaway broker is not secured');
    return saslEnv(this.secureFiles, this.port, principal);
  }

  /** The environment of a process presenting `principal`'s certificate (mutual TLS); secure only. */
  mtlsEnv(principal: string): Record<string, string> {
    if (!this.secureFiles) throw new Error('mtlsEnv: this throwaway broker is not secured');
    return mtlsEnv(this.secureFiles, this.mtlsPort, principal);
  }

  private get config(): string {
    return join(this.dir, 'server.properties');
  }

  private format(): void {
    const dataDir = join(this.dir, 'data');
    mkdirSync(dataDir, { recursive: true });
    const node: KafkaNode = {
      port: this.port,
      controllerPort: this.controllerPort,
      dataDir,
      internalPartitions: 1,
      ...(this.secureFiles ? { secure: secureListeners(this.secureFiles, this.mtlsPort) } : {}),
    };
    writeFileSync(this.config, serverProperties(node));
    formatStorage(ctx, this.config, this.secureFiles ? scramUsers(this.secureFiles) : []);
  }

  async start(): Promise<void> {
    const spec = brokerLaunch(ctx, this.config, ['-Xms128m', '-Xmx512m', '-XX:+UseSerialGC']);
    const out = openSync(join(this.dir, 'kafka.log'), 'a');
    this.child = spawn(spec.command, spec.args, { stdio: ['ignore', out, out] });
    closeSync(out);
    const probeEnv = this.secureFiles ? this.saslEnv(KAFKA_ADMIN_PRINCIPAL) : {};
    const ok = await waitUntil(() => brokerAnswers(this.brokers, probeEnv), {
      timeoutMs: 90_000,
      intervalMs: 500,
    });
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
