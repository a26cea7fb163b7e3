/** The dashboard JSON files are what dashboards/generate.mjs produces (no hand edits drift away). */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const DASHBOARD_FILES = [
  'overview.json',
  'producer.json',
  'sinks.json',
  'processors.json',
  'connect.json',
  'servers.json',
];

interface Dashboard {
  uid: string;
  panels: { type: string; title: string; description?: string }[];
}
const readDashboard = (f: string) =>
  JSON.parse(readFileSync(join(ROOT, 'dashboards', f), 'utf8')) as Dashboard;

describe('dashboards/generate.mjs', () => {
  it('the committed dashboards/*.json are up to date', () => {
    const out = execFileSync(process.execPath, [join(ROOT, 'dashboards', 'generate.mjs'), '--check'], {
      encoding: 'utf8',
      stdio: 'pipe',
    });
    expect(out).toBe('');
  });

  it('every dashboard has a unique uid, a title and only Prometheus panels with expressions', () => {
    const files = readdirSync(join(ROOT, 'dashboards')).filter((f) => f.endsWith('.json'));
    expect(files.sort()).toEqual([
      'connect.json',
      'overview.json',
      'processors.json',
      'producer.json',
      'servers.json',
      'sinks.json',
    ]);
    const uids = new Set<string>();
    for (const f of files) {
      const d = JSON.parse(readFileSync(join(ROOT, 'dashboards', f), 'utf8')) as {
        uid: string;
        title: string;
        panels: { type: string; title: string; targets?: { expr: string }[] }[];
      };
      expect(d.title).toMatch(/^Retail ETL/);
      expect(uids.has(d.uid)).toBe(false);
      uids.add(d.uid);
      for (const p of d.panels) {
        if (p.type === 'text') continue;
        expect(p.targets?.length, `${f}: ${p.title}`).toBeGreaterThan(0);
        for (const t of p.targets ?? []) expect(t.expr.trim(), `${f}: ${p.title}`).not.toBe('');
      }
    }
  });

  it('every panel of every dashboard says what good looks like and what to do when it is bad (dashboards/advice.mjs)', () => {
    for (const f of DASHBOARD_FILES) {
      for (const p of readDashboard(f).panels) {
        if (p.type === 'text') continue;
        expect(p.description, `${f}: ${p.title}`).toMatch(/Good: .+ When bad: /);
      }
    }
  });

  it('every piece of advice belongs to a panel that exists (no advice left behind by a renamed panel)', async () => {
    const { ADVICE, DASHBOARD_ADVICE } = (await import(
      pathToFileURL(join(ROOT, 'dashboards', 'advice.mjs')).href
    )) as {
      ADVICE: Record<string, string>;
      DASHBOARD_ADVICE: Record<string, Record<string, string>>;
    };
    const dashboards = DASHBOARD_FILES.map(readDashboard);
    const titles = new Set(dashboards.flatMap((d) => d.panels.map((p) => p.title)));
    for (const title of Object.keys(ADVICE)) expect(titles.has(title), title).toBe(true);
    for (const [uid, byTitle] of Object.entries(DASHBOARD_ADVICE)) {
      const d = dashboards.find((x) => x.uid === uid);
      expect(d, uid).toBeDefined();
      for (const [title, advice] of Object.entries(byTitle)) {
        const p = d?.panels.find((x) => x.title === title);
        expect(p?.description, `${uid}: ${title}`).toContain(advice);
      }
    }
  });
});
