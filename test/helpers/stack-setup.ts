/**
 * Global setup of the integration project: use the running stack if there is one, else start the
 * native (or Docker) servers and stop them again afterwards — the machine is left as it was found.
 */
import { loadStackEnv } from '../../lib/stack-env.js';
import { stackPaths } from '../../stack/paths.js';
import { stackDown, stackStatus, stackUp } from '../../stack/stack.js';

const INFRA = ['kafka', 'schema-registry', 'postgres', 'prometheus'];

export default async function setup(): Promise<() => Promise<void>> {
  const log = (m: string) => process.stderr.write(`[stack] ${m}\n`);
  const status = await stackStatus();
  const running =
    status.mode === 'docker' || INFRA.every((n) => status.statuses.some((s) => s.name === n && s.healthy));
  let startedHere = false;
  if (!running) {
    log('no running stack: starting the servers for this test run');
    await stackUp(log, { infraOnly: true });
    startedHere = true;
  } else {
    log('using the running stack');
  }
  loadStackEnv(stackPaths().envFile);
  return async () => {
    if (startedHere) {
      log('stopping the servers this test run started');
      await stackDown(log);
    }
  };
}
