/**
 * docs/configuration.md must list every environment variable the code reads, and only the config
 * mechanism (lib/config/) and the stack launcher (stack/) may touch process.env: a variable read
 * anywhere else would escape validation and the docs. The sources are scanned as text.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_COMPONENTS, configurationMarkdown } from '../../cli/config-docs.js';
import { projectRoot } from '../../stack/paths.js';

const SOURCE_DIRS = ['api', 'bench', 'cli', 'lib', 'processors', 'producer', 'sinks', 'stack'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mjs|js)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

const root = projectRoot();
const files = SOURCE_DIRS.flatMap((d) => sourceFiles(join(root, d))).map((path) => ({
  path: relative(root, path),
  text: readFileSync(path, 'utf8'),
}));

/**
 * Names read from the environment: `process.env['X']`, `process.env.X`, `environment()['X']`, a
 * bare `env['X']` (an environment handed down as a parameter), and schema declarations `env: 'X'`.
 * Assignments (`env['X'] = …`, building a child's environment) and other objects' `.env` fields
 * (the stack's report) are not reads of this process's environment.
 */
function envNamesRead(text: string): string[] {
  const names = new Set<string>();
  const patterns = [
    /process\.env(?:\[['"]([A-Z][A-Z0-9_]*)['"]\]|\.([A-Z][A-Z0-9_]*))(?!\s*=[^=])/g,
    /environment\(\)\[['"]([A-Z][A-Z0-9_]*)['"]\](?!\s*=[^=])/g,
    /(?<![.\w])env\[['"]([A-Z][A-Z0-9_]*)['"]\](?!\s*=[^=])/g,
    /\benv: ['"]([A-Z][A-Z0-9_]*)['"]/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) names.add((m[1] ?? m[2])!);
  return [...names];
}

const documented = new Set(
  CONFIG_COMPONENTS.flatMap((c) => c.schemas.flatMap((s) => Object.values(s).map((f) => f.env))).filter(
    (e): e is string => e !== undefined,
  ),
);

describe('configuration drift', () => {
  it('the scanner finds reads and declarations, and skips assignments and other objects’ env', () => {
    const sample = [
      "const a = process.env['A_VAR'];",
      'const b = process.env.B_VAR;',
      "const c = env['C_VAR'] ?? 1;",
      "x: { type: 'string', env: 'D_VAR', doc: '' },",
      "process.env['NOT_READ'] = '1';",
      "env['ALSO_NOT_READ'] = 'x';",
      "const r = report.env['STACK_OUTPUT'];",
    ].join('\n');
    expect(envNamesRead(sample).sort()).toEqual(['A_VAR', 'B_VAR', 'C_VAR', 'D_VAR']);
  });

  it('docs/configuration.md documents every environment variable the code reads', () => {
    const undocumented = files.flatMap((f) =>
      envNamesRead(f.text)
        .filter((name) => !documented.has(name))
        .map((name) => `${name} (${f.path})`),
    );
    expect(undocumented).toEqual([]);
    for (const name of documented) expect(configurationMarkdown()).toContain(`\`${name}\``);
  });

  it('only lib/config/ and the stack launcher read process.env', () => {
    const readers = files
      .filter((f) => !f.path.startsWith('lib/config/') && !f.path.startsWith('stack/'))
      .filter((f) => /process\.env\b/.test(f.text.replace(/^\s*(\/\/|\*).*$/gm, '')))
      .map((f) => f.path);
    expect(readers).toEqual([]);
  });
});
