/**
 * The command line of our Postgres raw sink as the benchmarks start it (through
 * stack/cli-process startCli): one place, so the end-to-end and Connect-comparison benchmarks
 * measure the same sink invocation.
 */
export function postgresSinkArgs(o: {
  topic: string;
  group: string;
  schema: string;
  metricsPort: number;
}): string[] {
  return [
    'sink',
    'postgres',
    '--topic',
    o.topic,
    '--group',
    o.group,
    '--schema',
    o.schema,
    '--metrics-port',
    String(o.metricsPort),
  ];
}
