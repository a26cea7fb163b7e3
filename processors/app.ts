/**
 * `retail-etl processor <name>|all`: one or more processor runners in this process, sharing the
 * Kafka client, the schema registry cache and the metrics endpoint.
 */
import type { Server } from 'node:http';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { createRegistry, SaleEventSerde } from '../lib/contracts/event/serde.js';
import { createKafka } from '../lib/kafka/index.js';
import { createLogger } from '../lib/logger.js';
import { closeServer, startProcessServer } from '../lib/process-server.js';
import { PROCESSORS } from './definitions.js';
import type { ProcessorName } from './definitions.js';
import { processorConfig } from './runtime/config.js';
import type { ProcessorConfig } from './runtime/config.js';
import { ProcessorRunner } from './runtime/runner.js';
import { environment, sharedSetting } from '../lib/config/index.js';

export interface RunningProcessors {
  config: ProcessorConfig;
  runners: ProcessorRunner[];
  registry: Registry;
  stop(): Promise<void>;
}

export async function runProcessors(
  names: ProcessorName[],
  explicit: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = environment(),
): Promise<RunningProcessors> {
  const config = processorConfig(explicit, env);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'retail_processor_process_' });
  const kafka = createKafka(`retail-etl-processor-${names.join('-')}`);
  const serde = new SaleEventSerde(createRegistry(sharedSetting('schemaRegistryUrl', env)));
  const runners = names.map(
    (n) => new ProcessorRunner(PROCESSORS[n], config, kafka, serde, registry, createLogger(`processor:${n}`)),
  );
  let server: Server | undefined;
  if (config.metricsPort !== 0) {
    server = await startProcessServer({
      port: config.metricsPort,
      registry,
      ready: () => runners.every((r) => r.ready()),
    });
  }
  try {
    for (const r of runners) await r.start();
  } catch (err) {
    for (const r of runners) await r.stop().catch(() => undefined);
    if (server) await closeServer(server);
    throw err;
  }
  return {
    config,
    runners,
    registry,
    async stop() {
      for (const r of runners) await r.stop();
      if (server) await closeServer(server);
    },
  };
}
