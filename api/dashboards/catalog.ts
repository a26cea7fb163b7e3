/**
 * The product's dashboards as `serve` shows them: the same dashboards/*.json that Grafana
 * provisions (dashboards/generate.mjs writes them), read at each request so a regenerated file
 * shows without a restart. Only what the native view needs is typed; a panel it does not know
 * (a type other than timeseries, stat, table, text) is listed with its title and left blank.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DashboardTarget {
  expr: string;
  legendFormat?: string;
  refId?: string;
  instant?: boolean;
  hide?: boolean;
}

export interface DashboardPanel {
  id?: number;
  type: string;
  title?: string;
  description?: string;
  gridPos?: { x: number; y: number; w: number; h: number };
  targets?: DashboardTarget[];
  fieldConfig?: { defaults?: Record<string, unknown> };
  options?: Record<string, unknown>;
}

export interface TemplateVariable {
  name: string;
  current?: { value?: string | string[] };
  query?: unknown;
}

export interface Dashboard {
  uid: string;
  title: string;
  description?: string;
  tags?: string[];
  refresh?: string;
  time?: { from: string; to: string };
  templating?: { list?: TemplateVariable[] };
  panels: DashboardPanel[];
}

export interface DashboardSummary {
  uid: string;
  title: string;
  description: string;
  file: string;
  panels: number;
}

/** The dashboards of `dir`, by file name; a file that is not a dashboard (no uid or panels) is skipped. */
export function loadDashboards(dir: string): { file: string; dashboard: Dashboard }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((file) => {
      const d = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Partial<Dashboard>;
      if (typeof d.uid !== 'string' || !Array.isArray(d.panels)) return [];
      return [{ file, dashboard: { ...d, uid: d.uid, title: d.title ?? d.uid, panels: d.panels } }];
    });
}

export function summaries(dir: string): DashboardSummary[] {
  return loadDashboards(dir).map(({ file, dashboard: d }) => ({
    uid: d.uid,
    title: d.title,
    description: d.description ?? '',
    file,
    panels: d.panels.filter((p) => p.type !== 'text' && p.type !== 'row').length,
  }));
}

export function findDashboard(dir: string, uid: string): Dashboard | undefined {
  return loadDashboards(dir).find((d) => d.dashboard.uid === uid)?.dashboard;
}
