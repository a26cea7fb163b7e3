/** docs/cli.md: every command of `retail-etl` with its options, generated from the command tree. */
import type { Command } from 'commander';

function section(cmd: Command, path: string[]): string[] {
  const name = [...path, cmd.name()].join(' ');
  const args = cmd.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`)).join(' ');
  const out = [`### \`${name}${args ? ' ' + args : ''}\``, '', cmd.description(), ''];
  const options = cmd.options.filter((o) => !o.hidden);
  if (options.length > 0) {
    out.push('| option | meaning |', '|---|---|');
    for (const o of options)
      out.push(`| \`${o.flags}\` | ${o.description.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`);
    out.push('');
  }
  return out;
}

function walk(cmd: Command, path: string[], out: string[]): void {
  for (const sub of cmd.commands) {
    if ((sub as Command & { _hidden?: boolean })._hidden) continue;
    if (sub.commands.length === 0) out.push(...section(sub, path));
    walk(sub, [...path, sub.name()], out);
  }
}

export function cliMarkdown(program: Command): string {
  const out = [
    '# The `retail-etl` CLI',
    '',
    'Generated from the command tree (`make docs`); a test fails when this file and the CLI disagree.',
    'Every error is one line `error: CODE: message — what to do` ([errors.md](errors.md)) with a non-zero exit code;',
    '`--verbose` adds the stack trace. Long-running commands stop cleanly on SIGTERM (flush, commit, exit 0).',
    '',
  ];
  walk(program, [program.name()], out);
  return out.join('\n');
}
