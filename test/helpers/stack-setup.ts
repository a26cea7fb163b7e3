/**
 * Global setup of the integration project: use the running stack if there is one, else start the
 * native (or Docker) servers and stop them again afterwards — the machine is left as it was found.
 * A stack missing some servers (one started before ClickHouse joined it) gets only those, and only
 * those are stopped at the end. A ClickHouse given by CLICKHOUSE_URL (a developer's own instance)
 * is used instead of the stack's.
 */
import { loadStackEnv } from '../../lib/stack-env.js';
import { stackPaths } from '../../stack/paths.js';
import { stackDown, stackStatus, stackStopComponents, stackUp } from '../../stack/stack.js';

const INFRA = ['kafka', 'schema-registry', 'postgres', 'clickhouse', 'prometheus'];

export default async function setup(): Promise<() => Promise<void>> {
  const log = (m: string) => process.stderr.write(`[stack] ${m}\n`);
  const status = await stackStatus();
  const needed = INFRA.filter((n) => !(n === 'clickhouse' && process.env['CLICKHOUSE_URL']));
  const healthy = (n: string) => status.statuses.some((s) => s.name === n && s.healthy);
  const running = status.mode === 'docker' || needed.every(healthy);
  let started: string[] = [];
  let all = false;
  if (!running) {
    all = !INFRA.some(healthy);
    log(
      all
        ? 'no running stack: starting the servers for this test run'
        : 'starting the servers the stack lacks',
    );
    started = (await stackUp(log, { infraOnly: true })).started;
  } else {
    log('using the running stack');
  }
  loadStackEnv(stackPaths().envFile);
  return async () => {
    if (all) {
      log('stopping the servers this test run started');
      await stackDown(log);
    } else if (started.length > 0) {
      log(`stopping what this test run added: ${started.join(', ')}`);
      await stackStopComponents(log, started);
    }
  };
}
