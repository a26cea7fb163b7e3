/** The dashboard JSON files are what dashboards/generate.mjs produces (no hand edits drift away). */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

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

  it('every overview, sinks and processors panel says what good looks like and what to do when it is bad (dashboards/advice.mjs)', () => {
    for (const f of ['overview.json', 'sinks.json', 'processors.json']) {
      const d = JSON.parse(readFileSync(join(ROOT, 'dashboards', f), 'utf8')) as {
        panels: { type: string; title: string; description?: string }[];
      };
      for (const p of d.panels) {
        if (p.type === 'text') continue;
        expect(p.description, `${f}: ${p.title}`).toMatch(/Good: .+ When bad: /);
      }
    }
  });
});
