/** `retail-etl processor hourly|top-skus|rolling|anomalies|all` — the event-time processors (docs/processors.md). */
import type { Command } from 'commander';
import { createLogger } from '../../lib/logger.js';
import { onShutdown } from '../../lib/shutdown.js';
import { runProcessors } from '../../processors/app.js';
import { PROCESSOR_NAMES } from '../../processors/definitions.js';
import type { ProcessorName } from '../../processors/definitions.js';
import { EtlError } from '../../lib/errors.js';

interface ProcessorOpts {
  metricsPort?: string;
  outOfOrderMs?: string;
  allowedLatenessMs?: string;
  topN?: string;
  groupPrefix?: string;
  commitIntervalMs?: string;
  idleTimeoutMs?: string;
}

export function registerProcessor(program: Command): void {
  program
    .command('processor')
    .description(
      'run event-time processors with exactly-once state, as one topology: hourly | top-skus | rolling | anomalies | all (docs/processors.md)',
    )
    .argument('<name>', `one of ${PROCESSOR_NAMES.join(', ')}, or all`)
    .option(
      '--metrics-port <port>',
      'port of /metrics /healthz /readyz (env PROCESSOR_METRICS_PORT, default 9404)',
    )
    .option(
      '--out-of-order-ms <ms>',
      'watermark = max event time − this (env PROCESSOR_OUT_OF_ORDER_MS, default 5000)',
    )
    .option(
      '--allowed-lateness-ms <ms>',
      'windows close this long after their end (env PROCESSOR_ALLOWED_LATENESS_MS, default 120000)',
    )
    .option('--top-n <n>', 'SKUs in each hourly top list (env PROCESSOR_TOP_N, default 10)')
    .option('--group-prefix <prefix>', 'consumer group prefix (env PROCESSOR_GROUP_PREFIX)')
    .option(
      '--commit-interval-ms <ms>',
      'a task commits this long after its first uncommitted record (env PROCESSOR_COMMIT_INTERVAL_MS, default 1000)',
    )
    .option(
      '--idle-timeout-ms <ms>',
      'a partition without records this long leaves the top-SKUs watermark (env PROCESSOR_IDLE_TIMEOUT_MS, default 60000)',
    )
    .action(async (name: string, opts: ProcessorOpts) => {
      const names: ProcessorName[] =
        name === 'all'
          ? [...PROCESSOR_NAMES]
          : (PROCESSOR_NAMES as readonly string[]).includes(name)
            ? [name as ProcessorName]
            : [];
      if (names.length === 0) {
        throw new EtlError('INVALID_ARGUMENT', `unknown processor "${name}"`, {
          hint: `choose one of ${PROCESSOR_NAMES.join(', ')}, all`,
        });
      }
      const logger = createLogger('processor');
      const running = await runProcessors(names, {
        metricsPort: opts.metricsPort,
        outOfOrderMs: opts.outOfOrderMs,
        allowedLatenessMs: opts.allowedLatenessMs,
        topN: opts.topN,
        groupPrefix: opts.groupPrefix,
        commitIntervalMs: opts.commitIntervalMs,
        idleTimeoutMs: opts.idleTimeoutMs,
      });
      logger.info('processors running', {
        processors: names,
        group: running.topology.groupId,
        input: running.config.inputTopic,
        metricsPort: running.config.metricsPort,
      });
      onShutdown(logger, () => running.stop());
      try {
        await running.failed;
      } catch (err) {
        // A consumer kafkajs gave up (e.g. GROUP_AUTHORIZATION_FAILED): one line and exit 1.
        logger.error('processors stopped on a fatal error', { err });
        await running.stop().catch(() => undefined);
        throw err;
      }
    });
}
