/**
 * Kafka broker metrics for Prometheus: the Prometheus JMX exporter's java agent, fetched from Maven
 * Central into `.stack/cache/kafka-jmx` and attached to the native broker. It reads the beans that
 * stack/assets/kafka/jmx-exporter.yml names (bytes and messages in/out, under-replicated and
 * offline partitions, the active controller, request latency) and serves them on
 * 127.0.0.1:PORTS.kafkaMetrics inside the broker's JVM: the broker down means its metrics down.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { HOST, PORTS } from '../lib/ports.js';
import type { StackContext } from './component.js';
import { maven } from './java.js';

/** 1.0.1: the newest version Maven Central serves here (1.3.0 was refused); runs on Java 8+. */
export const JMX_EXPORTER_ARTIFACT = 'io.prometheus.jmx:jmx_prometheus_javaagent:1.0.1';

const dir = (ctx: StackContext) => join(ctx.paths.cache, 'kafka-jmx');

export function jmxAgentJar(ctx: StackContext): string {
  return join(dir(ctx), 'jmx_prometheus_javaagent.jar');
}

export function jmxExporterRules(ctx: StackContext): string {
  return join(ctx.paths.assets, 'kafka', 'jmx-exporter.yml');
}

/** Fetch the agent once (a separate cache from the broker's jars, so a stack that has them gets it too). */
export function provisionJmxAgent(ctx: StackContext): void {
  if (existsSync(jmxAgentJar(ctx))) return;
  ctx.progress('kafka: fetching the Prometheus JMX exporter agent with Maven (first run only)…');
  mkdirSync(dir(ctx), { recursive: true });
  maven(
    ctx,
    [
      'dependency:copy',
      `-Dartifact=${JMX_EXPORTER_ARTIFACT}`,
      `-DoutputDirectory=${dir(ctx)}`,
      '-Dmdep.stripVersion=true',
    ],
    dir(ctx),
  );
}

/** The JVM flag that starts the agent on host:port with the rules file. */
export function jmxAgentFlag(ctx: StackContext, port: number = PORTS.kafkaMetrics): string {
  return `-javaagent:${jmxAgentJar(ctx)}=${HOST}:${port}:${jmxExporterRules(ctx)}`;
}
