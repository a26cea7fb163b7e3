/**
 * `make demo`: a narrated tour that stops by itself (bench/lib/demo/tour.ts). Settings come from
 * DEMO_* (docs/configuration.md); `--fast` shortens every step and lowers the rates (the end-to-end
 * test runs it so). Narration, live lines and the proof go to stdout, supervisor chatter to stderr;
 * the exit code is 1 unless the proof holds and the demo left nothing behind.
 */
import { demoConfig } from '../lib/config/index.js';
import { loadStackEnv } from '../lib/stack-env.js';
import { INFRA, stackContext } from '../stack/native.js';
import { stackPaths } from '../stack/paths.js';
import { fastOptions, runDemo } from './lib/demo/tour.js';

const log = (m: string) => process.stderr.write(`[demo] ${new Date().toISOString().slice(11, 19)} ${m}\n`);
const say = (m: string) => process.stdout.write(`${m}\n`);

async function main(): Promise<number> {
  const fast = process.argv.includes('--fast');
  const config = demoConfig();
  const paths = stackPaths();
  const ctx = stackContext(paths, log);
  const env = loadStackEnv(paths.envFile);
  const down = [];
  for (const c of INFRA.filter((c) => c.name !== 'prometheus'))
    if (!(await c.healthy(ctx).catch(() => false))) down.push(c.name);
  if (Object.keys(env).length === 0 || down.length > 0) {
    log(`the stack is not running (${down.join(', ') || 'no .stack/env'}): run \`make up\` first`);
    return 1;
  }
  const t0 = Date.now();
  const report = await runDemo(ctx, env, {
    ...(fast ? fastOptions(config) : config),
    say,
    log,
    // The pipeline's processes are detached: Ctrl-C or a kill must not leave them (or its topics) behind.
    onCleanup: (remove) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const)
        process.once(signal, () => {
          log(`${signal}: removing the demo pipeline`);
          void remove().finally(() => process.exit(130));
        });
    },
  });
  say(`\nThe demo took ${((Date.now() - t0) / 1000).toFixed(0)} s.`);
  return report.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`error: ${(err as Error).message}`);
    process.exit(1);
  },
);
