/**
 * Where the native stack keeps its files: everything under `.stack/` (git-ignored) in the project
 * root — downloads in cache/, server data in data/, logs in logs/, PID files in run/.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root: the nearest ancestor of this file holding package.json (works from dist/ too). */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export interface StackPaths {
  root: string;
  stack: string;
  cache: string;
  data: string;
  logs: string;
  run: string;
  conf: string;
  envFile: string;
  secretsFile: string;
  assets: string;
}

export function stackPaths(root = projectRoot()): StackPaths {
  const stack = process.env['RETAIL_ETL_STACK_DIR']
    ? resolve(process.env['RETAIL_ETL_STACK_DIR'])
    : join(root, '.stack');
  return {
    root,
    stack,
    cache: join(stack, 'cache'),
    data: join(stack, 'data'),
    logs: join(stack, 'logs'),
    run: join(stack, 'run'),
    conf: join(stack, 'conf'),
    envFile: join(stack, 'env'),
    secretsFile: join(stack, 'secrets.env'),
    assets: join(root, 'stack', 'assets'),
  };
}
