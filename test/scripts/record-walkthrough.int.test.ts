/**
 * scripts/record-walkthrough.sh (issue 15 part 5) records the real `make demo --fast` tour on the
 * shared stack: the typescript, its timing and the asciicast must hold the narration and the
 * proof as the demo printed it — the proof's own numbers agreeing with each other (the raw topic's
 * event ids are the rows of sales_raw, every store 0 lost / 0 duplicated / 0 wrong) — and the
 * demo's stderr stays out of the recording.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { castText } from '../../bench/lib/demo/asciicast.js';
import { projectRoot } from '../../stack/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'retail-walkthrough-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function record(): Promise<{ code: number; stderr: string }> {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: process.env['HOME'], LANG: 'C.UTF-8' };
  if (process.env['RETAIL_ETL_STACK_DIR']) env['RETAIL_ETL_STACK_DIR'] = process.env['RETAIL_ETL_STACK_DIR'];
  const child = spawn(join(projectRoot(), 'scripts', 'record-walkthrough.sh'), ['-o', dir, '--fast'], {
    cwd: projectRoot(),
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((r) => child.once('exit', (code) => r({ code: code ?? 1, stderr })));
}

/** The numbers of the proof table's row that starts with `label`. */
function row(text: string, label: string): number[] {
  const line = text.split(/\r?\n/).find((l) => l.startsWith(label));
  expect(line, `no "${label}" line in\n${text}`).toBeDefined();
  return (line ?? '')
    .slice(label.length)
    .trim()
    .split(/\s+/)
    .map(Number)
    .filter((n) => !Number.isNaN(n));
}

describe('scripts/record-walkthrough.sh', () => {
  it('records make demo --fast as a typescript, a timing file and an asciicast holding the proof', async () => {
    const { code, stderr } = await record();
    const cast = readFileSync(join(dir, 'walkthrough.cast'), 'utf8');
    const typescript = readFileSync(join(dir, 'walkthrough.typescript'), 'utf8');
    const text = castText(cast);
    expect(code, `${stderr}\n${text}`).toBe(0);

    const header = JSON.parse(cast.split('\n')[0] ?? '') as Record<string, unknown>;
    expect(header).toMatchObject({ version: 2, width: 120, height: 40 });
    const frames = cast.trim().split('\n').slice(1);
    expect(frames.length).toBeGreaterThan(10);
    // Played over time, not dumped at once: the last frame comes well after the first.
    const times = frames.map((f) => (JSON.parse(f) as [number])[0]);
    expect((times.at(-1) ?? 0) - (times[0] ?? 0)).toBeGreaterThan(10);

    // The narration's steps and the proof, as a viewer sees them.
    expect(text).toContain('kill -9');
    expect(text).toContain('PROOF HOLDS: 0 lost, 0 duplicated, 0 wrong in every store.');
    const [, topicIds] = row(text, 'raw topic (independent read)');
    const [rawRows, rawIds] = row(text, 'postgres sales_raw');
    expect(topicIds).toBeGreaterThan(0);
    expect([rawRows, rawIds]).toEqual([topicIds, topicIds]);
    const stores = text.split(/\r?\n/).filter((l) => /^(ingest|postgres|late topic|dlq topic)/.test(l));
    const checks = stores.filter((l) => /^\S.*\s\d+\s+\d+\s+\d+\s+\d+(\s|$)/.test(l));
    expect(checks.length, text).toBeGreaterThanOrEqual(5);
    for (const l of checks) expect(l, l).toMatch(/\s\d+\s+0\s+0\s+0(\s|$)/);

    // The typescript holds the same proof (scriptreplay plays it); the supervisor's chatter is in the log only.
    expect(typescript).toContain('PROOF HOLDS');
    expect(text).not.toMatch(/\[demo\] \d\d:\d\d:\d\d/);
    expect(readFileSync(join(dir, 'walkthrough.log'), 'utf8')).toMatch(/\[demo\] \d\d:\d\d:\d\d/);
    expect(readFileSync(join(dir, 'walkthrough.timing'), 'utf8')).toMatch(/^\d+\.\d+ \d+$/m);
  }, 600_000);
});
