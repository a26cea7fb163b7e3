/** The OpenAPI description and the query routes agree (a route nobody described fails here). */
import { describe, expect, it } from 'vitest';
import { OPENAPI } from '../../api/openapi.js';
import { queriesModule } from '../../api/routes/queries.js';
import { createLogger } from '../../lib/logger.js';
import { Registry } from 'prom-client';
import type { ApiConfig } from '../../api/config.js';
import { Guard } from '../../api/auth.js';
import { SessionStore } from '../../api/session.js';
import { TokenStore } from '../../lib/http/tokens.js';

describe('OpenAPI description', () => {
  it('describes every query route with its method', async () => {
    const instance = await queriesModule({ databaseUrl: 'postgres://nobody@127.0.0.1:1/none' }).create({
      config: {} as ApiConfig,
      logger: createLogger('test', { write: () => undefined }),
      registry: new Registry(),
      guard: new Guard(
        new TokenStore({
          tokensIngest: undefined,
          tokensRead: undefined,
          tokensControl: undefined,
          tokensMetrics: undefined,
        }),
        new SessionStore(60),
      ),
    });
    const paths = OPENAPI.paths as Record<string, Record<string, unknown>>;
    for (const route of instance.routes) {
      const documented = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
      expect(paths[documented], `${route.method} ${route.path}`).toBeDefined();
      expect(paths[documented]?.[route.method.toLowerCase()], `${route.method} ${route.path}`).toBeDefined();
      expect(route.access, `${route.method} ${route.path}`).toBe('read');
      // Every key query can be answered from either store (?source=postgres|clickhouse).
      const op = paths[documented]?.[route.method.toLowerCase()] as { parameters?: { name: string }[] };
      if (route.path !== '/v1/openapi.json')
        expect(
          op.parameters?.map((x) => x.name),
          route.path,
        ).toContain('source');
    }
    await instance.close?.();
  });
});
