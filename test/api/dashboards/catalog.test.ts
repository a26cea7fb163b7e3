/**
 * The native view covers every dashboard of dashboards/: unique uids, and every panel type in the
 * files is one the browser renderer draws (api/dashboards/web/panels.js) — a new kind of panel
 * (from a new dashboard or generate.mjs) fails here until the renderer handles it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findDashboard, loadDashboards, summaries } from '../../../api/dashboards/catalog.js';
import { projectRoot } from '../../../stack/paths.js';

const dir = join(projectRoot(), 'dashboards');

describe('dashboards served natively', () => {
  it('lists every dashboards/*.json with a unique uid', () => {
    const list = summaries(dir);
    expect(list.map((d) => d.file)).toEqual(loadDashboards(dir).map((d) => d.file));
    expect(list.length).toBeGreaterThanOrEqual(5);
    expect(new Set(list.map((d) => d.uid)).size).toBe(list.length);
    expect(findDashboard(dir, 'retail-overview')?.title).toBe('Retail ETL — pipeline overview');
    expect(findDashboard(dir, 'constructor')).toBeUndefined();
  });

  it('every panel type of every dashboard has a renderer', () => {
    const source = readFileSync(join(projectRoot(), 'api', 'dashboards', 'web', 'panels.js'), 'utf8');
    const renderers = /const RENDERERS = \{([^}]*)\}/.exec(source)?.[1] ?? '';
    const known = new Set(renderers.split(',').map((entry) => entry.split(':')[0]?.trim()));
    const types = new Set(loadDashboards(dir).flatMap((d) => d.dashboard.panels.map((p) => p.type)));
    expect([...types].filter((t) => t !== 'row' && !known.has(t))).toEqual([]);
  });
});
