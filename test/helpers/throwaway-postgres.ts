/**
 * A Postgres server of a test's own, for tests that must stop, kill or restart Postgres — never the
 * shared one on 5432. Its data directory is `.stack/tmp/<uuid>/data/postgres`, it listens on
 * 127.0.0.1 on a free port, and it is set up by the shared stack's own code (stack/components/
 * postgres.ts): the same initdb and launch command (as the `postgres` OS user through setpriv when
 * root), then the roles, the `retail` database and the migrations (ensureAppRole), with
 * passwords generated into its own secrets file. Only the port, the socket directory and the
 * memory settings differ. THROWAWAY_POSTGRES_PORT pins the port (a shared machine's port range).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StackContext } from '../../stack/component.js';
import {
  adminUrl,
  appUrl,
  ensureAppRole,
  postgres,
  serverAnswers,
  serverLaunch,
} from '../../stack/components/postgres.js';
import { freePort } from '../../stack/net.js';
import { stackPaths } from '../../stack/paths.js';
import { runtimeUrls } from '../../stack/postgres-roles.js';
import { loadOrCreateSecrets } from '../../stack/secrets.js';
import { isAlive, tailFile } from '../../stack/process.js';

/** PIDs whose parent is `pid` (the postmaster's backends and auxiliary processes). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may hold spaces and parentheses: split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/**
 * `.stack/tmp`, enterable by the postgres OS user (0755). Private folders under it no longer close
 * it (stack/private-dir.ts); a checkout where an earlier version did is opened again here, else
 * every throwaway server fails with "the postgres OS user cannot write".
 */
export function throwawayParent(): string {
  const parent = join(stackPaths().stack, 'tmp');
  mkdirSync(parent, { recursive: true });
  chmodSync(parent, 0o755);
  return parent;
}

export class ThrowawayPostgres {
  readonly dir: string;
  private child: ChildProcess | undefined;
  private readonly ctx: StackContext;
  private readonly logFile: string;

  private constructor(readonly port: number) {
    this.dir = join(throwawayParent(), randomUUID());
    this.logFile = join(this.dir, 'postgres.log');
    this.ctx = {
      // data/, run/ and conf/ (the TLS CA) are what the component reads: all in this server's directory.
      paths: {
        ...stackPaths(),
        data: join(this.dir, 'data'),
        run: join(this.dir, 'run'),
        conf: join(this.dir, 'conf'),
      },
      secrets: loadOrCreateSecrets(join(this.dir, 'secrets.env')),
      progress: () => undefined,
    };
  }

  /** initdb, start, create the `retail` role and database. */
  static async create(): Promise<ThrowawayPostgres> {
    const pinned = Number(process.env['THROWAWAY_POSTGRES_PORT'] ?? '');
    const p = new ThrowawayPostgres(Number.isInteger(pinned) && pinned > 0 ? pinned : await freePort());
    // Created here with 0755: prepare() would create them 0700 (root), which the postgres OS user
    // could not enter.
    mkdirSync(p.ctx.paths.run, { recursive: true, mode: 0o755 });
    mkdirSync(p.ctx.paths.data, { recursive: true, mode: 0o755 });
    try {
      await postgres.prepare(p.ctx);
    } catch (err) {
      rmSync(p.dir, { recursive: true, force: true });
      throw err;
    }
    await p.start();
    await ensureAppRole(p.ctx, p.port);
    return p;
  }

  /** The application URL (role `retail`, database `retail`): what DATABASE_URL is in the stack. */
  get databaseUrl(): string {
    return appUrl(this.ctx, this.port);
  }

  /** The runtime roles' URLs, keyed as in `.stack/env` (SINK_POSTGRES_DATABASE_URL, QUERY_DATABASE_URL, …). */
  get roleUrls(): Record<string, string> {
    return runtimeUrls(this.ctx, this.port);
  }

  /** The CA that signed this server's certificate (sslrootcert). */
  get caFile(): string {
    return join(this.ctx.paths.conf, 'postgres-tls', 'ca.crt');
  }

  /** The stack context of this server (its secrets, its directories). */
  get context(): StackContext {
    return this.ctx;
  }

  get adminUrl(): string {
    return adminUrl(this.ctx, this.port);
  }

  get pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined;
  }

  /**
   * Start the postmaster on this server's port and data directory and wait until it answers.
   * After a kill -9 it runs crash recovery first; if the killed server's orphaned processes still
   * hold its shared memory the new postmaster refuses to start, so it is tried again.
   */
  async start(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // LOG level: the tests read the crash-recovery and shutdown lines.
    const { command, args, env } = serverLaunch(this.ctx, this.port, {
      shared_buffers: '64MB',
      max_connections: '50',
      log_min_messages: 'log',
    });
    while (Date.now() < deadline) {
      const out = openSync(this.logFile, 'a');
      const child = spawn(command, args, { env: env ?? process.env, stdio: ['ignore', out, out] });
      closeSync(out);
      this.child = child;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
        if (await this.healthy()) return;
        await Promise.race([sleep(250), exited]);
      }
      if (child.exitCode === null && child.signalCode === null) break;
      await sleep(500);
    }
    await this.stop('kill');
    throw new Error(
      `throwaway Postgres on ${this.port} did not start within ${timeoutMs} ms:\n${tailFile(this.logFile)}`,
    );
  }

  private healthy(): Promise<boolean> {
    return serverAnswers(this.adminUrl).catch(() => false);
  }

  /**
   * `fast`: SIGINT, Postgres' fast shutdown (rolls back open transactions, disconnects clients,
   * checkpoints). `kill`: SIGKILL of the postmaster alone, as a crash; its backends notice the
   * postmaster's death and exit by themselves (waited for, SIGKILLed after 15 s), so the next start
   * runs crash recovery.
   */
  async stop(mode: 'fast' | 'kill' = 'fast'): Promise<void> {
    const child = this.child;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const orphans = mode === 'kill' ? childrenOf(child.pid) : [];
    child.kill(mode === 'fast' ? 'SIGINT' : 'SIGKILL');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
    const until = Date.now() + 15_000;
    while (orphans.some(isAlive) && Date.now() < until) await sleep(100);
    for (const pid of orphans.filter(isAlive)) process.kill(pid, 'SIGKILL');
    this.child = undefined;
  }

  /** The server's log so far. */
  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  /** Stop (fast) and delete the data directory. */
  async destroy(): Promise<void> {
    await this.stop('fast');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
