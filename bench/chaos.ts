/**
 * `make chaos`: the chaos soak against the running stack (bench/lib/chaos/run.ts). Settings come
 * from CHAOS_* (docs/configuration.md); the closing table goes to stdout, progress to stderr, and
 * the exit code is 1 unless every store reconciles with 0 lost, 0 duplicated and 0 wrong and every
 * killed process came back.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chaosConfig } from '../lib/config/index.js';
import { loadStackEnv } from '../lib/stack-env.js';
import { INFRA, stackContext } from '../stack/native.js';
import { stackPaths } from '../stack/paths.js';
import { formatReport, runChaos } from './lib/chaos/run.js';

const log = (m: string) => process.stderr.write(`[chaos] ${new Date().toISOString().slice(11, 19)} ${m}\n`);

async function main(): Promise<number> {
  const config = chaosConfig();
  const paths = stackPaths();
  const ctx = stackContext(paths, log);
  const env = loadStackEnv(paths.envFile);
  const servers = INFRA.filter((c) => c.name !== 'prometheus');
  const down = [];
  for (const c of servers) if (!(await c.healthy(ctx).catch(() => false))) down.push(c.name);
  if (Object.keys(env).length === 0 || down.length > 0) {
    log(`the stack is not running (${down.join(', ') || 'no .stack/env'}): run \`make up\` first`);
    return 1;
  }
  log(
    `${config.durationS} s at ${config.rate} events/s, a kill every ${config.killEveryS} s, targets ${config.targets}`,
  );
  const report = await runChaos(ctx, env, {
    durationSeconds: config.durationS,
    rate: config.rate,
    killEverySeconds: config.killEveryS,
    targets: config.targets,
    drainSeconds: config.drainS,
    portBase: config.portBase,
    log,
  });
  console.log(formatReport(report));
  const file = join(paths.stack, 'chaos-report.json');
  writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), ...report }, null, 2) + '\n');
  log(`report: ${file}`);
  return report.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`error: ${(err as Error).message}`);
    process.exit(1);
  },
);
