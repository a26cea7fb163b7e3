/**
 * Every lab page (docs/labs/*.md) is run as written: its `sh` blocks in one bash session, in order,
 * each block's output checked against the "You should see" block after it. A page marked
 * `lab-test: own-pipeline` runs against a pipeline of its own (the chaos soak's: every service
 * `make up` runs, on fresh topics, a fresh schema and free ports, supervised), from a directory
 * whose `.stack/env` points at it and whose `dist` is the project's build (so `node dist/cli/main.js`
 * works as in the project's root) — so the page's commands are the ones a user types after
 * `make up`, and the shared stack's data is not touched. Other pages run from the project root.
 * `lab-test: own-pipeline on the scraped ports` puts that pipeline on the ports `make up` uses, the
 * ones the stack's Prometheus scrapes, so the page reads its own run in Prometheus. When a `make up`
 * pipeline holds them, the page is skipped (on other ports, what it read in Prometheus would be
 * that other pipeline's);
 * its directory also links the project's Makefile, scripts/, k6/ and .stack/cache/ (where
 * `make load` keeps k6), so `make load` works there as in the project's root.
 * `LAB=06` (or `LAB=06,08`) runs only those pages; unset, every page runs.
 */
import { spawn } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pipelineOverrides } from '../../bench/lib/bench-pipeline.js';
import { startChaosPipeline } from '../../bench/lib/chaos/pipeline.js';
import { loadStackEnv } from '../../lib/stack-env.js';
import { stackContext } from '../../stack/native.js';
import { portIsFree } from '../../stack/net.js';
import type { PipelineService } from '../../stack/pipeline.js';
import { PIPELINE_SERVICES } from '../../stack/pipeline.js';
import { projectRoot, stackPaths } from '../../stack/paths.js';
import { stackEnv } from '../helpers/env.js';
import { firstMissing, parseLab } from '../helpers/lab.js';
import type { LabStep } from '../helpers/lab.js';

const LABS = join(projectRoot(), 'docs', 'labs');
/** `LAB=09` (or `LAB=06,08`) runs only those labs, e.g. while writing one; unset: every lab. */
const only = (process.env['LAB'] ?? '').split(',').filter((n) => n.trim() !== '');
const pages = readdirSync(LABS)
  .filter((f) => /^\d\d-.*\.md$/.test(f))
  .filter((f) => only.length === 0 || only.some((n) => f.startsWith(`${n.trim().padStart(2, '0')}-`)))
  .sort();

const quote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;

/** The pipeline ports `make up`'s processes hold (none when only the servers run). */
async function takenPorts(services: PipelineService[]): Promise<string[]> {
  const taken: string[] = [];
  for (const s of services) if (!(await portIsFree(s.port))) taken.push(`${s.port} (${s.name})`);
  return taken;
}

/** Run the steps in one bash; each step's stdout separately. */
async function runSteps(
  steps: LabStep[],
  cwd: string,
): Promise<{ outputs: string[]; stderr: string; code: number }> {
  const marker = `@@lab-step-${process.pid}@@`;
  const script = ['set -eo pipefail', ...steps.map((s) => `echo ${marker}\n${s.script}`)].join('\n');
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: process.env['HOME'], LANG: 'C.UTF-8' };
  if (process.env['RETAIL_ETL_STACK_DIR']) env['RETAIL_ETL_STACK_DIR'] = process.env['RETAIL_ETL_STACK_DIR'];
  const child = spawn('bash', ['-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number>((r) => child.once('exit', (c) => r(c ?? 1)));
  return { outputs: out.split(`${marker}\n`).slice(1), stderr: err, code };
}

function checkSteps(page: string, steps: LabStep[], run: Awaited<ReturnType<typeof runSteps>>): void {
  const tail = run.stderr.split('\n').slice(-15).join('\n');
  expect(
    run.outputs.length,
    `${page}: only ${run.outputs.length} of ${steps.length} steps ran; the last one's output:\n${run.outputs.at(-1) ?? ''}\n${tail}`,
  ).toBe(steps.length);
  expect(run.code, `${page}: bash exited ${run.code}\n${tail}`).toBe(0);
  steps.forEach((step, i) => {
    const output = run.outputs[i] ?? '';
    const missing = firstMissing(output, step.expect);
    expect(
      missing,
      `${page}, step ${i + 1} (${step.script.split('\n')[0]}): output\n${output}`,
    ).toBeUndefined();
  });
}

describe('docs/labs', () => {
  it('has lab pages', () => {
    expect(pages.length).toBeGreaterThan(0);
  });

  for (const page of pages) {
    const markdown = readFileSync(join(LABS, page), 'utf8');
    const steps = parseLab(markdown);
    const ownPipeline = markdown.includes('lab-test: own-pipeline');
    const scraped = markdown.includes('lab-test: own-pipeline on the scraped ports');

    it(`${page} runs as written`, async (ctx) => {
      expect(steps.length).toBeGreaterThan(0);
      if (!ownPipeline) {
        checkSteps(page, steps, await runSteps(steps, projectRoot()));
        return;
      }
      const env = { ...stackEnv(), ...loadStackEnv(stackPaths().envFile) };
      const taken = scraped ? await takenPorts(PIPELINE_SERVICES) : [];
      if (taken.length > 0) {
        // On other ports Prometheus would not see this page's run: its readings would be another
        // pipeline's. Skipped, not passed.
        console.warn(`${page}: skipped — ports ${taken.join(', ')} are held by a running pipeline`);
        ctx.skip(
          `ports ${taken.join(', ')} are held by a running pipeline (\`retail-etl stack up --infra-only\` frees them)`,
        );
        return;
      }
      const p = await startChaosPipeline(
        stackContext(stackPaths(), () => undefined),
        env,
        () => undefined,
        scraped ? 'stack' : undefined,
      );
      const dir = mkdtempSync(join(tmpdir(), 'retail-lab-'));
      try {
        const labEnv: Record<string, string> = {
          ...env,
          ...pipelineOverrides(p.base, p.schema, p.topics),
          PIPELINE_URL: `http://127.0.0.1:${p.ports.get('serve')}`,
          PGOPTIONS: `-c search_path=${p.schema}`,
        };
        mkdirSync(join(dir, '.stack'));
        symlinkSync(join(projectRoot(), 'dist'), join(dir, 'dist'));
        if (scraped) {
          for (const f of ['Makefile', 'scripts', 'k6']) symlinkSync(join(projectRoot(), f), join(dir, f));
          mkdirSync(join(projectRoot(), '.stack', 'cache'), { recursive: true });
          symlinkSync(join(projectRoot(), '.stack', 'cache'), join(dir, '.stack', 'cache'));
        }
        writeFileSync(
          join(dir, '.stack', 'env'),
          Object.entries(labEnv)
            .map(([k, v]) => `${k}=${quote(v)}`)
            .join('\n') + '\n',
          { mode: 0o600 },
        );
        checkSteps(page, steps, await runSteps(steps, dir));
      } finally {
        await p.remove();
        rmSync(dir, { recursive: true, force: true });
      }
    }, 600_000);
  }
});
