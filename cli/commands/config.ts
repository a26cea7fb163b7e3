/** `retail-etl config docs` — every option of every component, as markdown; `config write-docs` refreshes docs/. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { projectRoot } from '../../stack/paths.js';
import { cliMarkdown } from '../cli-docs.js';
import { configurationMarkdown } from '../config-docs.js';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('configuration reference of every component');
  config
    .command('docs')
    .description('print every option, environment variable and default as markdown (docs/configuration.md)')
    .action(() => {
      process.stdout.write(configurationMarkdown());
    });
  config
    .command('write-docs', { hidden: true })
    .description('regenerate docs/configuration.md and docs/cli.md (`make docs`)')
    .action(() => {
      writeFileSync(join(projectRoot(), 'docs', 'configuration.md'), configurationMarkdown());
      writeFileSync(join(projectRoot(), 'docs', 'cli.md'), cliMarkdown(program));
      console.log('wrote docs/configuration.md and docs/cli.md');
    });
}
