/**
 * PostgreSQL from Debian's packages, in its own data directory under .stack/data/postgres.
 * Postgres refuses to run as root, so as root the server runs as the `postgres` OS user
 * (setpriv execs in place, so the PID we record is the postmaster's own).
 * Every login needs its password (scram-sha-256 on the socket and on TCP; pg_hba.conf is
 * rewritten at every start, so an older data directory's `trust` goes too), the socket directory
 * is the server owner's alone, and each process has its own role (stack/postgres-roles.ts).
 * TLS is on with a certificate of the stack's own CA (stack/postgres-tls.ts); clients choose it
 * with sslmode (lib/postgres/connection.ts).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EtlError } from '../../lib/errors.js';
import { HOST, PORTS } from '../../lib/ports.js';
import { aptInstall } from '../apt.js';
import type { LaunchSpec, NativeComponent, StackContext } from '../component.js';
import { tcpOpen } from '../net.js';
import { migrateAll } from '../../sinks/postgres/migrate-all.js';
import { APP_DATABASE, OWNER_ROLE, adminUrl, ensureRoles, ownerUrl, runtimeUrls } from '../postgres-roles.js';
import { run } from '../process.js';
import { ensurePostgresTls, postgresCaDir, tlsSettings } from '../postgres-tls.js';
import { pgClient } from '../../lib/postgres/connection.js';
import { mkdirPrivate } from '../private-dir.js';

export { adminUrl } from '../postgres-roles.js';

function binDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], 'bin') : undefined;
}

/**
 * A client tool (pg_dump, pg_restore) from the newest of Debian's versioned directories — pg_dump
 * must be at least as new as the server — else the name alone, for a PATH that holds one.
 */
export function postgresTool(name: string): string {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return name;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', name)))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], 'bin', name) : name;
}

function requireBinDir(): string {
  const dir = binDir();
  if (!dir)
    throw new EtlError('DEPENDENCY_MISSING', 'PostgreSQL server binaries not found', {
      hint: 'apt-get install -y postgresql',
    });
  return dir;
}

const isRoot = () => process.getuid?.() === 0;

function osUser(): { uid: number; gid: number } | undefined {
  if (!isRoot()) return undefined;
  const id = (flag: string) =>
    Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || uid <= 0) {
    throw new EtlError(
      'DEPENDENCY_MISSING',
      'running as root but there is no `postgres` OS user to run the server as',
      {
        hint: 'apt-get install -y postgresql (it creates the user)',
      },
    );
  }
  return { uid, gid };
}

/** Run a command as the postgres OS user when we are root. */
function asPostgres(command: string, args: string[]): { command: string; args: string[] } {
  if (!isRoot()) return { command, args };
  return {
    command: 'setpriv',
    args: ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', command, ...args],
  };
}

const dirs = (ctx: StackContext) => ({
  data: join(ctx.paths.data, 'postgres'),
  socket: join(ctx.paths.run, 'pg'),
});

/** The owner's and migrator's URL (role `retail`, database `retail`): DATABASE_URL. */
export function appUrl(ctx: StackContext, port: number = PORTS.postgres): string {
  return ownerUrl(ctx, port);
}

/** Every connection authenticates: no `trust`, no `peer`, nothing but the loopback address. */
export const PG_HBA = [
  '# written by retail-etl at every start (stack/components/postgres.ts); edits are overwritten',
  'local all all scram-sha-256',
  `host all all ${HOST}/32 scram-sha-256`,
  '',
].join('\n');

/** The stack's server settings; a test's own server overrides some (memory, log level). */
const SETTINGS: Record<string, string> = {
  max_connections: '200',
  shared_buffers: '256MB',
  max_wal_size: '4GB',
  checkpoint_timeout: '15min',
  log_min_messages: 'warning',
};

/** The postmaster's command line for the data directory of `ctx`, on `port`. */
export function serverLaunch(
  ctx: StackContext,
  port: number = PORTS.postgres,
  overrides: Record<string, string> = {},
): LaunchSpec {
  const d = dirs(ctx);
  const files = {
    ca: join(postgresCaDir(ctx.paths.conf), 'ca.crt'),
    cert: join(d.data, 'server.crt'),
    key: join(d.data, 'server.key'),
  };
  // prepare() makes them; a data directory that has not been through it since (a supervisor restart
  // of a server started by an older version) starts without TLS rather than not at all.
  const tls = existsSync(files.cert) && existsSync(files.key) ? tlsSettings(files) : {};
  const settings = {
    ...tls,
    listen_addresses: HOST,
    port: String(port),
    unix_socket_directories: d.socket,
    unix_socket_permissions: '0700',
    password_encryption: 'scram-sha-256',
    ...SETTINGS,
    ...overrides,
  };
  const args = Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  return asPostgres(join(requireBinDir(), 'postgres'), ['-D', d.data, ...args]);
}

/** True once the server at `url` runs a query (the port opens before it accepts logins). */
export async function serverAnswers(url: string): Promise<boolean> {
  const client = pgClient(url, { connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The roles (as the superuser), then the migrations of the configured schemas as the migrator:
 * `make up` leaves the tables ready, so no long-running process needs the owner's rights.
 */
export async function ensureAppRole(ctx: StackContext, port: number = PORTS.postgres): Promise<void> {
  await ensureRoles(ctx, port);
  const owner = pgClient(ownerUrl(ctx, port));
  await owner.connect();
  try {
    await migrateAll(owner, process.env);
  } finally {
    await owner.end();
  }
}

/** The socket directory: the server's OS user alone may enter it (mode 700). */
function prepareSocketDir(dir: string, owner: { uid: number; gid: number } | undefined): void {
  mkdirPrivate(dir);
  if (owner) chownSync(dir, owner.uid, owner.gid);
  chmodSync(dir, 0o700);
}

/** pg_hba.conf from PG_HBA, owned by the server's OS user, readable by it alone. */
function writeHba(dataDir: string, owner: { uid: number; gid: number } | undefined): void {
  const file = join(dataDir, 'pg_hba.conf');
  writeFileSync(file, PG_HBA, { mode: 0o600 });
  if (owner) chownSync(file, owner.uid, owner.gid);
}

export const postgres: NativeComponent = {
  name: 'postgres',
  title: 'PostgreSQL (Debian packages)',
  ports: [PORTS.postgres],
  // SIGINT is Postgres' "fast" shutdown; SIGTERM would wait for every client to leave.
  stopSignal: 'SIGINT',
  startTimeoutMs: 60_000,
  url: `postgres://${OWNER_ROLE}:***@${HOST}:${PORTS.postgres}/${APP_DATABASE}`,

  async provision(ctx) {
    if (!binDir()) aptInstall(['postgresql'], 'the native stack runs PostgreSQL', ctx.progress);
    requireBinDir();
  },

  async prepare(ctx) {
    const d = dirs(ctx);
    const owner = osUser();
    prepareSocketDir(d.socket, owner);
    if (existsSync(join(d.data, 'PG_VERSION'))) {
      writeHba(d.data, owner);
      ensurePostgresTls(ctx.paths.conf, d.data, owner);
      return;
    }
    ctx.progress('postgres: initialising a new data directory…');
    mkdirPrivate(d.data);
    const pwFile = join(ctx.paths.run, 'pg-initdb-pw');
    writeFileSync(pwFile, `${ctx.secrets['POSTGRES_SUPERUSER_PASSWORD']}\n`, { mode: 0o600 });
    if (owner) {
      chownSync(d.data, owner.uid, owner.gid);
      chownSync(pwFile, owner.uid, owner.gid);
    }
    const probe = asPostgres('test', ['-w', d.data]);
    if (spawnSync(probe.command, probe.args).status !== 0) {
      throw new EtlError('PROVISION_FAILED', `the postgres OS user cannot write ${d.data}`, {
        hint: 'keep the project under directories other users may enter (chmod o+x), or set RETAIL_ETL_STACK_DIR',
      });
    }
    try {
      const initdb = asPostgres(join(requireBinDir(), 'initdb'), [
        '-D',
        d.data,
        '-U',
        'postgres',
        `--pwfile=${pwFile}`,
        '--auth-local=scram-sha-256',
        '--auth-host=scram-sha-256',
        '-E',
        'UTF8',
        '--locale=C.UTF-8',
      ]);
      run(initdb.command, initdb.args);
    } finally {
      rmSync(pwFile, { force: true });
    }
    writeHba(d.data, owner);
    ensurePostgresTls(ctx.paths.conf, d.data, owner);
  },

  launch: (ctx) => serverLaunch(ctx),

  async healthy(ctx) {
    return (await tcpOpen(PORTS.postgres)) && serverAnswers(adminUrl(ctx));
  },

  afterStart: (ctx) => ensureAppRole(ctx),

  env: (ctx) => ({
    // The CA of the server's certificate: `PGSSLMODE=verify-full` is then all a client needs.
    PGSSLROOTCERT: join(postgresCaDir(ctx.paths.conf), 'ca.crt'),
    DATABASE_URL: appUrl(ctx),
    DATABASE_ADMIN_URL: adminUrl(ctx),
    ...runtimeUrls(ctx),
  }),
};
