/** The docs users rely on match the code: every CLI command and every config key. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliMarkdown } from '../../cli/cli-docs.js';
import { configurationMarkdown } from '../../cli/config-docs.js';
import { buildProgram } from '../../cli/program.js';
import { projectRoot } from '../../stack/paths.js';

const doc = (name: string) => readFileSync(join(projectRoot(), 'docs', name), 'utf8');

describe('generated docs', () => {
  it('docs/cli.md lists every command and option of the CLI (run `make docs` after changing the CLI)', () => {
    expect(doc('cli.md')).toBe(cliMarkdown(buildProgram()));
  });

  it('docs/configuration.md lists every config key, env variable and default (run `make docs`)', () => {
    expect(doc('configuration.md')).toBe(configurationMarkdown());
  });

  it('the CLI has every command the design names', () => {
    const text = cliMarkdown(buildProgram());
    const commands = [
      'stack up',
      'stack down',
      'stack status',
      'producer run',
      'producer rate',
      'producer pause',
    ];
    commands.push(
      'producer resume',
      'producer status',
      'sink postgres',
      'sink clickhouse',
      'processor',
      'serve',
    );
    commands.push('dlq list', 'dlq replay', 'pg retention', 'connect apply', 'connect status');
    for (const cmd of commands) expect(text, cmd).toContain(`### \`retail-etl ${cmd}`);
  });
});
