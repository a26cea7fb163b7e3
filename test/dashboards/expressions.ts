/**
 * Every PromQL expression of every dashboard in dashboards/*.json, for the tests that check them
 * against what runs (test/dashboards/dashboards.int.test.ts against Prometheus, and the Kafka
 * Connect test against serve's Connect exporter while a worker runs).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../stack/paths.js';

export interface Expression {
  dashboard: string;
  panel: string;
  expr: string;
}

interface Panel {
  title: string;
  targets?: { expr: string }[];
}

export function dashboardExpressions(): Expression[] {
  const dir = join(projectRoot(), 'dashboards');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((file) => {
      const d = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { panels: Panel[] };
      return d.panels.flatMap((p) =>
        (p.targets ?? []).map((t) => ({ dashboard: file, panel: p.title, expr: t.expr })),
      );
    });
}

/**
 * The expression without its `or vector(0)` fallbacks: a fallback draws 0 when the series are
 * missing, so "the panel returns data" proves the series exist only when evaluated without it.
 */
export const withoutFallback = (expr: string): string => expr.replace(/\s*\bor\s+vector\(0\)/g, '');

/** The `retail_*` series an expression selects: metric name and its `label="value"` matchers. */
export function selectedSeries(expr: string): { name: string; labels: Record<string, string> }[] {
  return [...expr.matchAll(/\b(retail_[a-z0-9_]*[a-z0-9])\b(\{([^}]*)\})?/g)].map((m) => ({
    name: m[1] as string,
    labels: Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]])),
  }));
}
