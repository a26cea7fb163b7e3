/** `retail-etl serve` — the pipeline's HTTP server: ingest (and later queries/control), health, metrics. */
import type { Command } from 'commander';
import { resolveApiConfig } from '../../api/config.js';
import { startApiServer } from '../../api/server.js';
import { createLogger } from '../../lib/logger.js';
import { onShutdown } from '../../lib/shutdown.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'the pipeline HTTP server: POST /v1/events (ingest), /healthz, /readyz, /metrics (docs/ingest.md)',
    )
    .option('--port <port>', 'HTTP port (default 8080, env PIPELINE_HTTP_PORT)')
    .option('--max-body-bytes <n>', '413 above this body size (default 5 MiB, env INGEST_MAX_BODY_BYTES)')
    .option(
      '--max-events <n>',
      '413 above this many events per request (default 10000, env INGEST_MAX_EVENTS)',
    )
    .option('--topic <name>', 'topic accepted events go to (default retail.sales.v1, env INGEST_TOPIC)')
    .action(async (opts: { port?: string; maxBodyBytes?: string; maxEvents?: string; topic?: string }) => {
      const config = resolveApiConfig({
        port: opts.port,
        maxBodyBytes: opts.maxBodyBytes,
        maxEvents: opts.maxEvents,
        topic: opts.topic,
      });
      const logger = createLogger('serve');
      const api = await startApiServer(config, { logger });
      console.log(`serving on ${api.url}  (POST /v1/events, GET /healthz /readyz /metrics)`);
      await new Promise<void>((resolve) => {
        onShutdown(logger, async () => {
          await api.close();
          resolve();
        });
      });
    });
}
