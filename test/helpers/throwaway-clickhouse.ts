/**
 * A ClickHouse server of its own for a test: the stack's `retail-etl clickhouse serve` (the same
 * launch environment as stack/components/clickhouse.ts) on its own data directory, password and
 * port — so a test can kill -9 it, restart it on the same directory, or open the directory twice.
 * The port is CLICKHOUSE_TEST_PORT when set (a developer's reserved range), else a free one.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliProcess } from '../../stack/cli-process.js';
import { startLaunch } from '../../stack/cli-process.js';
import { cliMain } from '../../stack/cli-process.js';
import {
  CLICKHOUSE_RUNTIME_USERS,
  clickhouseAnswers,
  clickhouseRuntimeUrls,
  clickhouseServerEnv,
  clickhouseUrl,
} from '../../stack/components/clickhouse.js';
import type { StackContext } from '../../stack/component.js';
import { freePort } from '../../stack/net.js';
import { stackPaths } from '../../stack/paths.js';
import { waitUntil } from '../../stack/wait.js';

export class ThrowawayClickhouse {
  proc: CliProcess | undefined;
  private readonly ctx: StackContext;

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {
    this.ctx = {
      paths: stackPaths(),
      // The owner and every runtime user (stack/clickhouse/access.ts), as `make up` generates them.
      secrets: Object.fromEntries(
        ['CLICKHOUSE_PASSWORD', ...CLICKHOUSE_RUNTIME_USERS.map((u) => u.secret)].map((k) => [
          k,
          randomBytes(12).toString('hex'),
        ]),
      ),
      progress: () => undefined,
    };
  }

  static async create(): Promise<ThrowawayClickhouse> {
    const port = Number(process.env['CLICKHOUSE_TEST_PORT'] ?? '') || (await freePort());
    return new ThrowawayClickhouse(port, mkdtempSync(join(tmpdir(), 'retail-ch-')));
  }

  get url(): string {
    return clickhouseUrl(this.ctx, this.port);
  }

  /** A runtime user's URL, by its `.stack/env` key (CLICKHOUSE_SINK_URL, QUERY_CLICKHOUSE_URL…). */
  runtimeUrl(envKey: string): string {
    const url = clickhouseRuntimeUrls(this.ctx, this.port)[envKey];
    if (!url) throw new Error(`no ClickHouse user for ${envKey}`);
    return url;
  }

  /** The owner's and the runtime users' passwords, keyed as in `.stack/secrets.env`. */
  get secrets(): Record<string, string> {
    return { ...this.ctx.secrets };
  }

  /** The passwords the next start() passes the server (a rotation's saved file, say). */
  useSecrets(secrets: Record<string, string>): void {
    this.ctx.secrets = { ...secrets };
  }

  get password(): string {
    return this.ctx.secrets['CLICKHOUSE_PASSWORD'] ?? '';
  }

  /** A `clickhouse serve` process on this server's directory and port, not waited for. */
  spawn(dir = this.dir): CliProcess {
    return startLaunch(
      {
        command: process.execPath,
        args: [cliMain(), 'clickhouse', 'serve'],
        env: { ...clickhouseServerEnv(this.ctx, dir, this.port), LOG_LEVEL: 'info' },
      },
      `clickhouse serve :${this.port}`,
    );
  }

  async start(): Promise<void> {
    const proc = this.spawn();
    this.proc = proc;
    const ok = await waitUntil(
      async () => proc.child.exitCode !== null || clickhouseAnswers(this.ctx, this.port),
      {
        timeoutMs: 60_000,
      },
    );
    if (!ok || proc.child.exitCode !== null) throw new Error(`clickhouse did not start:\n${proc.tail()}`);
  }

  /** kill -9: the engine gets no chance to flush or unlock anything. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    proc.child.kill('SIGKILL');
    await proc.exited;
    this.proc = undefined;
  }

  async stop(): Promise<void> {
    await this.proc?.stop(10_000);
    this.proc = undefined;
  }

  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
