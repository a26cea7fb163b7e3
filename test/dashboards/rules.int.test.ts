/**
 * The alert and recording rules: `promtool check rules` on every rule file and `promtool test rules`
 * on every test file (any error fails), every alert has a test that fires it and one that must not,
 * and a runbook section in docs/observability.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = join(import.meta.dirname, '..', '..');
const RULES = join(ROOT, 'dashboards', 'rules');
const TESTS = join(RULES, 'tests');

function promtool(): string {
  for (const p of ['/usr/bin/promtool', '/usr/local/bin/promtool']) if (existsSync(p)) return p;
  throw new Error(
    'promtool not found: it comes with Debian’s prometheus package (make up / make test install it)',
  );
}

function run(args: string[]): { ok: boolean; output: string } {
  try {
    const out = execFileSync(promtool(), args, { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });
    return { ok: true, output: out };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const ruleFiles = readdirSync(RULES)
  .filter((f) => f.endsWith('.yml'))
  .map((f) => join(RULES, f));
const testFiles = readdirSync(TESTS)
  .filter((f) => f.endsWith('.yml'))
  .map((f) => join(TESTS, f));

interface AlertTest {
  alertname: string;
  exp_alerts?: unknown[];
}
interface RuleGroup {
  rules: { alert?: string; record?: string; annotations?: Record<string, string> }[];
}

const alerts = ruleFiles.flatMap((f) =>
  ((parse(readFileSync(f, 'utf8')) as { groups: RuleGroup[] }).groups ?? []).flatMap((g) =>
    g.rules.filter((r) => r.alert !== undefined),
  ),
);

describe('Prometheus rules', () => {
  it('finds rule files, alerts and tests', () => {
    expect(ruleFiles.length).toBeGreaterThan(0);
    expect(testFiles.length).toBeGreaterThan(0);
    expect(alerts.length).toBeGreaterThanOrEqual(8);
  });

  it.each(ruleFiles.map((f) => [f.slice(ROOT.length + 1), f]))('promtool check rules %s', (_name, file) => {
    const r = run(['check', 'rules', file]);
    expect(r.output).toContain('SUCCESS');
    expect(r.ok, r.output).toBe(true);
  });

  it.each(testFiles.map((f) => [f.slice(ROOT.length + 1), f]))('promtool test rules %s', (_name, file) => {
    const r = run(['test', 'rules', file]);
    expect(r.ok, r.output).toBe(true);
    expect(r.output).toContain('SUCCESS');
    expect(r.output).not.toContain('FAILED');
  });

  it('every alert has a test where it fires and one where it must not', () => {
    const tests = testFiles.flatMap((f) =>
      (
        (parse(readFileSync(f, 'utf8')) as { tests: { alert_rule_test?: AlertTest[] }[] }).tests ?? []
      ).flatMap((t) => t.alert_rule_test ?? []),
    );
    const missing: string[] = [];
    for (const a of alerts) {
      const mine = tests.filter((t) => t.alertname === a.alert);
      if (!mine.some((t) => (t.exp_alerts ?? []).length > 0)) missing.push(`${a.alert}: no firing test`);
      if (!mine.some((t) => (t.exp_alerts ?? []).length === 0))
        missing.push(`${a.alert}: no must-not-fire test`);
    }
    expect(missing).toEqual([]);
  });

  it('every alert has a runbook section in docs/observability.md that its annotation points to', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'observability.md'), 'utf8');
    const headings = new Set(
      [...doc.matchAll(/^#{2,4} +(.+)$/gm)].map((m) =>
        (m[1] ?? '')
          .trim()
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, ''),
      ),
    );
    const problems: string[] = [];
    for (const a of alerts) {
      const anchor = (a.alert ?? '').toLowerCase();
      if (a.annotations?.['runbook'] !== `docs/observability.md#${anchor}`)
        problems.push(`${a.alert}: runbook annotation`);
      if (!headings.has(anchor))
        problems.push(`${a.alert}: no "### ${a.alert}" section in docs/observability.md`);
    }
    expect(problems).toEqual([]);
  });
});
