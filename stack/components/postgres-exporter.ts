/**
 * Postgres metrics for Prometheus: Debian's `prometheus-postgres-exporter` on 127.0.0.1, logged in
 * as `retail_monitor` (a member of pg_monitor, nothing else: stack/postgres-roles.ts) to the
 * `retail` database. Its password reaches it in the launch environment (DATA_SOURCE_PASS), never
 * on a command line. It connects at each scrape, so it starts beside Postgres: until the role
 * exists its scrapes say `pg_up 0`. Extra queries (table sizes, WAL): stack/assets/postgres/exporter-queries.yml.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HOST, PORTS } from '../../lib/ports.js';
import { aptInstall } from '../apt.js';
import type { LaunchSpec, NativeComponent, StackContext } from '../component.js';
import { httpOk } from '../net.js';
import { APP_DATABASE, MONITOR_ROLE, MONITOR_SECRET } from '../postgres-roles.js';
import { which } from '../process.js';

const PACKAGE = 'prometheus-postgres-exporter';

function binary(): string | undefined {
  return which(PACKAGE) ?? (existsSync(`/usr/bin/${PACKAGE}`) ? `/usr/bin/${PACKAGE}` : undefined);
}

/** The exporter's command line and environment (the password only in the environment). */
export function postgresExporterLaunch(
  ctx: StackContext,
  port: number = PORTS.postgresExporter,
  pgPort: number = PORTS.postgres,
): LaunchSpec {
  const password = ctx.secrets[MONITOR_SECRET];
  if (!password) throw new Error(`${MONITOR_SECRET} is missing from the stack's secrets`);
  return {
    command: binary() ?? PACKAGE,
    args: [
      `--web.listen-address=${HOST}:${port}`,
      `--extend.query-path=${join(ctx.paths.assets, 'postgres', 'exporter-queries.yml')}`,
      '--log.level=warn',
    ],
    env: {
      ...process.env,
      DATA_SOURCE_URI: `${HOST}:${pgPort}/${APP_DATABASE}?sslmode=disable`,
      DATA_SOURCE_USER: MONITOR_ROLE,
      DATA_SOURCE_PASS: password,
    },
  };
}

export const postgresExporter: NativeComponent = {
  name: 'postgres-exporter',
  title: 'Postgres metrics (prometheus-postgres-exporter, Debian package)',
  ports: [PORTS.postgresExporter],
  stopSignal: 'SIGTERM',
  startTimeoutMs: 30_000,
  url: `http://${HOST}:${PORTS.postgresExporter}/metrics`,

  async provision(ctx) {
    if (!binary()) aptInstall([PACKAGE], 'the native stack exports Postgres metrics', ctx.progress);
  },

  prepare: async () => undefined,

  launch: (ctx) => postgresExporterLaunch(ctx),

  // The landing page, not /metrics: a scrape opens a Postgres connection, and this runs every second.
  healthy: () => httpOk(`http://${HOST}:${PORTS.postgresExporter}/`),

  env: () => ({}),
};
