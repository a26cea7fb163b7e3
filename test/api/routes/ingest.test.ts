/** The ingest route's counters exist at 0 before the first request (no "No data" on the ingest panel). */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Guard } from '../../../api/auth.js';
import { resolveApiConfig } from '../../../api/config.js';
import { INGEST_STATUSES, ingestModule } from '../../../api/routes/ingest.js';
import { SessionStore } from '../../../api/session.js';
import { TokenStore } from '../../../lib/http/tokens.js';
import { createLogger } from '../../../lib/logger.js';

describe('ingest metrics on a fresh registry', () => {
  it('exports accepted/rejected events and every status the route answers at 0', async () => {
    const registry = new Registry();
    const instance = await ingestModule({
      brokers: ['127.0.0.1:1'],
      registryUrl: 'http://127.0.0.1:1',
    }).create({
      config: resolveApiConfig({}, {}),
      logger: createLogger('test', { write: () => undefined }),
      registry,
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
    try {
      const text = await registry.metrics();
      expect(text).toContain('retail_ingest_events_total{result="accepted"} 0');
      expect(text).toContain('retail_ingest_events_total{result="rejected"} 0');
      for (const status of INGEST_STATUSES)
        expect(text).toContain(`retail_ingest_requests_total{status="${status}"} 0`);
    } finally {
      await instance.close?.();
    }
  });
});
