/** `retail-etl stack up|down|status` — the servers (and the pipeline) on this machine. */
import type { Command } from 'commander';
import { redact } from '../../lib/redact.js';
import { stackDown, stackStatus, stackSupervise, stackUp } from '../../stack/stack.js';
import { progress } from '../output.js';

/** Variables whose values are never printed (API tokens, passwords). */
const SECRET_NAME = /TOKEN|PASSWORD|SECRET/;

export function registerStack(program: Command): void {
  const stack = program
    .command('stack')
    .description(
      'start, stop and inspect the local stack (Kafka, Schema Registry, Postgres, Prometheus, pipeline)',
    );

  stack
    .command('up')
    .description(
      'start the stack (Docker Compose if an engine answers, else native) and the pipeline; prints every URL',
    )
    .option('--infra-only', 'start the servers only, not the pipeline processes')
    .option('--mode <mode>', 'auto | native | docker (default: env STACK_MODE, else auto)')
    .action(async (opts: { infraOnly?: boolean; mode?: string }) => {
      const report = await stackUp(progress, { infraOnly: opts.infraOnly ?? false, mode: opts.mode });
      const verb =
        report.started.length === 0
          ? 'already running — nothing to do'
          : `started: ${report.started.join(', ')}`;
      console.log(`stack (${report.mode}) ${verb}`);
      for (const s of report.statuses) {
        console.log(`  ${s.healthy ? 'healthy  ' : 'UNHEALTHY'} ${s.name.padEnd(22)} ${s.url}`);
      }
      if (report.statuses.some((s) => s.name === 'serve' && s.healthy)) {
        const api = report.env['PIPELINE_URL'] ?? 'http://127.0.0.1:8080';
        console.log(
          `control panel: ${api}/panel   dashboards: ${api}/dashboards   API: ${api}/v1/openapi.json   ingest: POST ${api}/v1/events`,
        );
        console.log(
          `  sign in to the panel with the control token: grep RETAIL_TOKEN_CONTROL ${report.envFile}` +
            `  (API clients: Authorization: Bearer $RETAIL_TOKEN_INGEST / _READ / _CONTROL)`,
        );
      }
      console.log(
        `environment for clients: ${report.envFile}  (source it: set -a; . ${report.envFile}; set +a)`,
      );
      for (const [k, v] of Object.entries(report.env))
        console.log(`  ${k}=${SECRET_NAME.test(k) ? `(secret, in ${report.envFile})` : redact(v)}`);
      if (report.statuses.some((s) => !s.healthy)) process.exitCode = 1;
    });

  stack
    .command('down')
    .description('stop what `stack up` started (by its recorded PIDs, nothing else)')
    .action(async () => {
      const { stopped } = await stackDown(progress);
      console.log(stopped.length === 0 ? 'nothing is running' : `stopped: ${stopped.join(', ')}`);
    });

  stack
    .command('supervise')
    .description(
      'run the native stack’s supervisor in the foreground (`make up` starts it detached): restart a process that exits or stops answering, with backoff',
    )
    .action(async () => {
      await stackSupervise((m) => console.log(`${new Date().toISOString()} ${m}`));
    });

  stack
    .command('status')
    .description('show each component: running, healthy, URL (exit 1 if any is down)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const status = await stackStatus();
      if (opts.json) {
        console.log(JSON.stringify(status, null, 2));
      } else if (status.docker !== undefined) {
        console.log(status.docker);
      } else {
        console.log(`stack mode: ${status.mode ?? 'not started'}`);
        const supervised = new Map((status.supervisor?.file?.processes ?? []).map((p) => [p.name, p]));
        for (const s of status.statuses) {
          const state = s.healthy ? 'healthy' : s.running ? 'UNHEALTHY' : 'DOWN';
          const p = supervised.get(s.name);
          const restarts = p ? `  restarts ${p.restarts}${p.state === 'healthy' ? '' : ` (${p.state})`}` : '';
          console.log(
            `  ${state.padEnd(10)} ${s.name.padEnd(22)} ${s.pid ? `pid ${s.pid}`.padEnd(11) : '—'.padEnd(11)} ${s.url}${restarts}`,
          );
        }
        if (status.supervisor) {
          const { pid } = status.supervisor;
          console.log(
            pid
              ? `supervisor: pid ${pid}, restarts a process that exits or hangs (log: .stack/logs/supervisor.log)`
              : 'supervisor: not running — nothing restarts a crashed process (`make up` starts it)',
          );
          for (const p of supervised.values()) {
            if (p.state === 'crash-loop')
              console.log(
                `crash loop: ${p.name} left down after ${p.failures} failed starts; last lines:\n${p.logTail ?? ''}`,
              );
          }
        }
      }
      if (status.statuses.some((s) => !s.healthy)) process.exitCode = 1;
    });
}
