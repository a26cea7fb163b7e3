/** A real `retail-etl serve` on a free port, reading one schema, with the test's API tokens. */
import type { CliProcess } from '../../stack/cli-process.js';
import { startCli, waitReady } from '../../stack/cli-process.js';
import { freePort } from '../../stack/net.js';
import type { ApiTokens } from './api-tokens.js';
import { tokenEnv } from './api-tokens.js';

export async function startQueryServe(
  schema: string,
  tokens: ApiTokens,
  env: Record<string, string> = {},
): Promise<{ serve: CliProcess; base: string }> {
  const port = await freePort();
  const serve = startCli(['serve', '--port', String(port)], {
    logLevel: 'warn',
    env: { QUERY_SCHEMA: schema, ...env, ...tokenEnv(tokens) },
  });
  await waitReady(port, serve);
  return { serve, base: `http://127.0.0.1:${port}` };
}
