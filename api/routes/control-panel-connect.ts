/**
 * Kafka Connect as Prometheus series, exported by `retail-etl serve` (Connect itself only has JMX):
 * read from the worker's REST API at scrape time, so the series exist only while a worker runs.
 *
 *   retail_connect_up                                    1 when the REST API answered this scrape
 *   retail_connect_connector_state{connector,state}      1 for the connector's current state, 0 for
 *                                                        the other known states
 *   retail_connect_tasks{connector,state}                tasks per state (RUNNING, FAILED, …; 0 for
 *                                                        every known state without a task)
 *   retail_connect_consumer_lag_{messages,seconds}{connector,group,topic,partition}
 *                                                        lag of the sink connector's consumer group
 *
 * The connector's group is Connect's default `connect-<connector name>`.
 */
import type { Kafka } from '../../lib/kafka/index.js';
import { ConsumerLagExporter, createKafka } from '../../lib/kafka/index.js';
import { Gauge } from 'prom-client';
import type { ApiContext, RouteModule } from '../router.js';
import { sharedSetting } from '../../lib/config/index.js';
import { connectEndpoint } from '../../lib/connect/rest.js';

/** The states Kafka Connect reports for a connector and its tasks (AbstractStatus.State). */
export const CONNECT_STATES = ['UNASSIGNED', 'RUNNING', 'PAUSED', 'STOPPED', 'FAILED', 'RESTARTING'] as const;

export interface ConnectMetricsOptions {
  /** Kafka Connect REST URL (env KAFKA_CONNECT_URL, default http://127.0.0.1:8083). */
  url?: string;
  kafka?: Kafka;
}

interface ExpandedConnector {
  status?: { connector?: { state?: string }; tasks?: { state?: string }[] };
  info?: { config?: Record<string, string>; type?: string };
}

export function connectMetricsModule(options: ConnectMetricsOptions = {}): RouteModule {
  return {
    name: 'connect-metrics',
    create({ registry, logger }: ApiContext) {
      const url = (options.url ?? sharedSetting('kafkaConnectUrl')).replace(/\/$/, '');
      const lagExporters = new Map<string, ConsumerLagExporter>();
      let kafka = options.kafka;
      const connectorState = new Gauge({
        name: 'retail_connect_connector_state',
        help: 'Kafka Connect connector state: 1 for the current state (RUNNING, PAUSED, FAILED, UNASSIGNED…)',
        labelNames: ['connector', 'state'] as const,
        registers: [registry],
      });
      const tasks = new Gauge({
        name: 'retail_connect_tasks',
        help: 'Kafka Connect tasks of a connector, by state',
        labelNames: ['connector', 'state'] as const,
        registers: [registry],
      });
      // Declared up front (ConsumerLagExporter reuses them) so the series are known to Prometheus
      // even before a connector exists; same names, help and labels as lib/kafka/lag.ts makes.
      const lagGauges = (
        [
          ['messages', 'Records between the group committed offset and the high watermark'],
          [
            'seconds',
            'Kafka timestamp of the newest record minus that of the record at the committed offset',
          ],
        ] as const
      ).map(
        ([suffix, help]) =>
          new Gauge({
            name: `retail_connect_consumer_lag_${suffix}`,
            help,
            labelNames: ['connector', 'group', 'topic', 'partition'],
            registers: [registry],
          }),
      );
      /** A connector deleted from the worker: stop measuring it and drop its last lag (no stale alert). */
      const unfollow = async (present: Set<string>): Promise<void> => {
        for (const [key, exporter] of lagExporters) {
          if (present.has(key)) continue;
          lagExporters.delete(key);
          await exporter.stop().catch(() => undefined);
          const [connector, topic] = key.split('\u0000');
          for (const gauge of lagGauges)
            for (const v of (await gauge.get()).values)
              if (v.labels['connector'] === connector && v.labels['topic'] === topic) gauge.remove(v.labels);
        }
      };
      const follow = (connector: string, topics: string[]): void => {
        for (const topic of topics) {
          const key = `${connector}\u0000${topic}`;
          if (lagExporters.has(key)) continue;
          kafka ??= createKafka('retail-connect-lag');
          const exporter = new ConsumerLagExporter({
            kafka,
            registry,
            prefix: 'retail_connect_',
            groupId: `connect-${connector}`,
            topic,
            labels: { connector },
            logger,
          });
          lagExporters.set(key, exporter);
          exporter.start().catch((err: unknown) => {
            lagExporters.delete(key);
            logger.warn('cannot measure the lag of a Kafka Connect connector', { connector, topic, err });
          });
        }
      };
      new Gauge({
        name: 'retail_connect_up',
        help: '1 when the Kafka Connect REST API answered this scrape, else 0 (no worker running)',
        registers: [registry],
        async collect() {
          connectorState.reset();
          tasks.reset();
          try {
            const { base, headers } = connectEndpoint(url);
            const res = await fetch(`${base}/connectors?expand=status&expand=info`, {
              headers,
              signal: AbortSignal.timeout(1000),
            });
            if (!res.ok) throw new Error(`HTTP ${res.status}`);
            const all = (await res.json()) as Record<string, ExpandedConnector>;
            const present = new Set<string>();
            for (const [name, c] of Object.entries(all)) {
              // Every known state of a connector it reports, at 0 unless current (lib/metric-zero.ts):
              // "no failed task" is 0, not "No data".
              const current = c.status?.connector?.state ?? 'UNKNOWN';
              for (const state of new Set([...CONNECT_STATES, current]))
                connectorState.set({ connector: name, state }, state === current ? 1 : 0);
              const counts = new Map<string, number>(CONNECT_STATES.map((s) => [s, 0]));
              for (const t of c.status?.tasks ?? [])
                counts.set(t.state ?? 'UNKNOWN', (counts.get(t.state ?? 'UNKNOWN') ?? 0) + 1);
              for (const [state, n] of counts) tasks.set({ connector: name, state }, n);
              const topics = (c.info?.config?.['topics'] ?? '')
                .split(',')
                .map((x) => x.trim())
                .filter((x) => x !== '');
              if (c.info?.type === 'sink' || c.info?.type === undefined) {
                follow(name, topics);
                for (const topic of topics) present.add(`${name}\u0000${topic}`);
              }
            }
            await unfollow(present);
            this.set(1);
          } catch {
            this.set(0);
          }
        },
      });
      return {
        routes: [],
        close: async () => {
          for (const e of lagExporters.values()) await e.stop().catch(() => undefined);
        },
      };
    },
  };
}
