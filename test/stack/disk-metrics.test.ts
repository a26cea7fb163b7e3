/** The supervisor's free-disk gauges of the data directories (alert RetailDataDiskFilling). */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { DATA_DIRS, dataDiskMetrics, fsSpace } from '../../stack/disk-metrics.js';

const root = mkdtempSync(join(tmpdir(), 'disk-metrics-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('data directory disk metrics', () => {
  it('one free and one size series per data directory, measured where each lives', async () => {
    mkdirSync(join(root, 'kafka'));
    const asked: string[] = [];
    const registry = new Registry();
    dataDiskMetrics(registry, root, (path) => {
      asked.push(path);
      return path.endsWith('kafka') ? { freeBytes: 5, sizeBytes: 100 } : { freeBytes: 70, sizeBytes: 100 };
    });
    const text = await registry.metrics();
    expect(text).toContain('retail_stack_data_free_bytes{dir="kafka"} 5');
    expect(text).toContain('retail_stack_data_free_bytes{dir="postgres"} 70');
    expect(text).toContain('retail_stack_data_size_bytes{dir="clickhouse"} 100');
    for (const dir of DATA_DIRS) expect(text).toContain(`retail_stack_data_free_bytes{dir="${dir}"}`);
    // A directory that does not exist yet is measured at the data root.
    expect(asked).toContain(join(root, 'kafka'));
    expect(asked).toContain(root);
  });

  it('statfs of a real directory: free no larger than the size, both positive', () => {
    const s = fsSpace(root);
    expect(s.sizeBytes).toBeGreaterThan(0);
    expect(s.freeBytes).toBeGreaterThan(0);
    expect(s.freeBytes).toBeLessThanOrEqual(s.sizeBytes);
  });
});
