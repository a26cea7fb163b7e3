/** `retail-etl secrets rotate` — new passwords and API tokens for the running stack (docs/security.md). */
import type { Command } from 'commander';
import { EtlError } from '../../lib/errors.js';
import type { Rotatable } from '../../stack/secrets-rotate.js';
import { ROTATABLE } from '../../stack/secrets-rotate.js';
import { stackRotateSecrets } from '../../stack/stack.js';
import { progress } from '../output.js';

function parseOnly(value: string): Rotatable[] {
  const parts = value.split(',').map((p) => p.trim());
  for (const p of parts) {
    if (!(ROTATABLE as readonly string[]).includes(p)) {
      throw new EtlError('CONFIG_INVALID', `--only ${p}: not one of ${ROTATABLE.join(', ')}`);
    }
  }
  return parts as Rotatable[];
}

export function registerSecrets(program: Command): void {
  const secrets = program.command('secrets').description('the stack’s generated passwords and API tokens');
  secrets
    .command('rotate')
    .description(
      'rotate the Postgres and ClickHouse passwords, Kafka SCRAM passwords (secured broker) and API tokens of the running native stack: each process is restarted ' +
        'with its new credentials (no event lost or doubled); old API tokens stay valid for --grace seconds',
    )
    .option('--only <list>', `what to rotate, comma-separated: ${ROTATABLE.join(', ')} (default: all)`)
    .option(
      '--grace <seconds>',
      'how long the old API tokens stay valid after .stack/env names the new ones',
      '10',
    )
    .action(async (opts: { only?: string; grace: string }) => {
      const grace = Number(opts.grace);
      if (!Number.isFinite(grace) || grace < 0 || grace > 3600) {
        throw new EtlError('CONFIG_INVALID', `--grace ${opts.grace}: a number of seconds from 0 to 3600`);
      }
      const what = opts.only ? parseOnly(opts.only) : [...ROTATABLE];
      const report = await stackRotateSecrets(progress, what, grace * 1000);
      console.log(
        `rotated: ${[
          ...report.roles.map((r) => `postgres role ${r}`),
          ...report.clickhouseUsers.map((u) => `clickhouse user ${u}`),
          ...report.kafka.map((p) => `kafka principal ${p}`),
          ...report.tokens,
        ].join(', ')}`,
      );
      console.log(`restarted: ${report.restarted.join(', ') || 'nothing'}`);
      for (const s of report.skipped) console.log(`not rotated: ${s}`);
      console.log('new values are in .stack/secrets.env and .stack/env (never printed)');
    });
}
