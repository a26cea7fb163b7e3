/**
 * Default local ports (docs/stack.md lists them). Every server the project starts listens on 127.0.0.1 only.
 * Pipeline processes each serve /metrics, /healthz and /readyz on their own port.
 */
export const HOST = '127.0.0.1';

export const PORTS = {
  kafka: 9092,
  kafkaController: 9093,
  schemaRegistry: 8081,
  postgres: 5432,
  clickhouse: 8123,
  prometheus: 9090,
  grafana: 3000,
  kafkaConnect: 8083,
  pipelineHttp: 8080,
  producerMetrics: 9401,
  sinkPostgresMetrics: 9402,
  sinkClickhouseMetrics: 9403,
  processorMetrics: 9404,
  sinkAggregatesMetrics: 9405,
  sinkAggregatesClickhouseMetrics: 9406,
  // The native stack's supervisor (`retail-etl stack supervise`): restart counts.
  supervisor: 9407,
  // Exporters of the servers' own metrics (docs/observability.md#servers): the Prometheus JMX
  // exporter's java agent inside the Kafka broker, and prometheus-postgres-exporter.
  // ClickHouse serves its metrics on its own port (8123, /metrics).
  kafkaMetrics: 9408,
  postgresExporter: 9409,
} as const;
