/**
 * Free and total bytes of the filesystem under each server's data directory (.stack/data/*),
 * exported by the supervisor: there is no node_exporter in the native stack, and the supervisor is
 * the one process that runs as long as the stack does. statfs per directory, at each scrape, so a
 * data directory on its own mount is reported on its own. Alert: RetailDataDiskFilling.
 */
import { existsSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

/** The servers' data directories under `dataRoot` (.stack/data), by the `dir` label. */
export const DATA_DIRS = ['kafka', 'postgres', 'clickhouse', 'prometheus', 'registry'] as const;

export interface FsSpace {
  freeBytes: number;
  sizeBytes: number;
}

/** Bytes available to an unprivileged writer (what Kafka and Postgres run as) and the total. */
export function fsSpace(path: string): FsSpace {
  const s = statfsSync(path);
  return { freeBytes: s.bavail * s.bsize, sizeBytes: s.blocks * s.bsize };
}

export function dataDiskMetrics(registry: Registry, dataRoot: string, space = fsSpace): void {
  // A directory not created yet (a server never started) is measured at the data root.
  const where = (dir: string) => (existsSync(join(dataRoot, dir)) ? join(dataRoot, dir) : dataRoot);
  const measure = () => DATA_DIRS.map((dir) => ({ dir, ...space(where(dir)) }));
  new Gauge({
    name: 'retail_stack_data_free_bytes',
    help: 'Bytes free (for unprivileged writers) on the filesystem of a server data directory',
    labelNames: ['dir'],
    registers: [registry],
    collect() {
      for (const m of measure()) this.set({ dir: m.dir }, m.freeBytes);
    },
  });
  new Gauge({
    name: 'retail_stack_data_size_bytes',
    help: 'Size of the filesystem of a server data directory',
    labelNames: ['dir'],
    registers: [registry],
    collect() {
      for (const m of measure()) this.set({ dir: m.dir }, m.sizeBytes);
    },
  });
}
