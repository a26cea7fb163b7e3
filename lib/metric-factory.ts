/**
 * Declaring Prometheus metrics without repeating the registry and the name prefix in every
 * declaration: `m.counter('rows_written_total', 'help', ['sink'])` registers
 * `<prefix>rows_written_total` in the process's registry. Label names stay typed.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

export function metricFactory(registry: Registry, prefix: string) {
  const registers = [registry];
  return {
    counter: <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Counter<L>({ name: prefix + name, help, labelNames, registers }),
    gauge: <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Gauge<L>({ name: prefix + name, help, labelNames, registers }),
    histogram: <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]) =>
      new Histogram<L>({ name: prefix + name, help, labelNames, buckets, registers }),
  };
}
