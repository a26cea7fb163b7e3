/** The browser's unit and legend formatting (api/dashboards/web/format.js, plain JS run here by Node). */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../../../stack/paths.js';

interface Format {
  formatValue(v: number | null, unit?: string, decimals?: number): string;
  legendName(format: string | undefined, metric: Record<string, string>, refId?: string): string;
  relativeSeconds(text: string): number | undefined;
  stepFor(rangeSeconds: number, points?: number, min?: number): number;
  mapValue(v: number, mappings: unknown[]): { text?: string; color?: string } | undefined;
  thresholdColor(v: number, thresholds: unknown): string | undefined;
}

const load = async (): Promise<Format> =>
  (await import(pathToFileURL(join(projectRoot(), 'api', 'dashboards', 'web', 'format.js')).href)) as Format;

describe('dashboard formatting', () => {
  it('formats the units the dashboards use', async () => {
    const f = await load();
    expect(f.formatValue(1234, 'short')).toBe('1.23k');
    expect(f.formatValue(12, 'short', 0)).toBe('12');
    expect(f.formatValue(0.25, 's')).toBe('250 ms');
    expect(f.formatValue(90, 's')).toBe('1.5 min');
    expect(f.formatValue(0.0123, 'percentunit')).toBe('1.23 %');
    expect(f.formatValue(2048, 'Bps')).toBe('2 KiB/s');
    expect(f.formatValue(null, 's')).toBe('–');
    expect(f.formatValue(3, 'widgets')).toBe('3 widgets');
  });

  it('names series from the legend format, else from their labels', async () => {
    const f = await load();
    expect(f.legendName('{{sink}} p95', { sink: 'postgres' })).toBe('postgres p95');
    expect(f.legendName('', { __name__: 'up', job: 'x' })).toBe('up{job="x"}');
    expect(f.legendName(undefined, {}, 'B')).toBe('B');
  });

  it('reads relative ranges and picks round steps', async () => {
    const f = await load();
    expect(f.relativeSeconds('now-30m')).toBe(1800);
    expect(f.relativeSeconds('6h')).toBe(21600);
    expect(f.relativeSeconds('off')).toBeUndefined();
    expect(f.stepFor(1800)).toBe(10);
    expect(f.stepFor(300)).toBe(5);
  });

  it('maps values and thresholds to text and colours', async () => {
    const f = await load();
    const mappings = [{ type: 'value', options: { '0': { text: 'not running', color: 'gray' } } }];
    expect(f.mapValue(0, mappings)).toEqual({ text: 'not running', color: 'gray' });
    expect(f.mapValue(1, mappings)).toBeUndefined();
    const thresholds = {
      steps: [
        { color: 'green', value: null },
        { color: 'red', value: 5 },
      ],
    };
    expect(f.thresholdColor(4, thresholds)).toBe('green');
    expect(f.thresholdColor(5, thresholds)).toBe('red');
  });
});
