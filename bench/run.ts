/**
 * `make bench`: runs every bench/*.bench.ts (or those named in BENCH=a,b) one after another
 * against the running stack (starting the servers if none run, and stopping them after), prints
 * a table, and writes BENCHMARKS.md and bench/results.json. Exits non-zero only when a benchmark
 * fails with an error — never because something was slow.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadStackEnv } from '../lib/stack-env.js';
import { projectRoot, stackPaths } from '../stack/paths.js';
import { stackDown, stackStatus, stackStopComponents, stackUp } from '../stack/stack.js';
import type { Benchmark, Figure } from './harness.js';
import { benchConfig, environment } from '../lib/config/index.js';

interface Section {
  name: string;
  title: string;
  seconds: number;
  figures: Figure[];
  error?: string;
}

const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

function fmt(n: number | undefined, digits = 0): string {
  if (n === undefined || !Number.isFinite(n)) return '—';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} cores (${cpu}), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${process.platform}`;
}

function renderMarkdown(sections: Section[], started: Date): string {
  const lines = [
    '# Benchmarks',
    '',
    `Latest \`make bench\` run: ${started.toISOString()} on ${machine()}.`,
    'Every ceiling was measured in the same run on the same machine; ratio = value / ceiling.',
    'Raw figures: [bench/results.json](bench/results.json). Slowness is reported here, never asserted in tests.',
    '',
  ];
  for (const s of sections) {
    lines.push(`## ${s.title}`, '', `\`bench/${s.name}.bench.ts\`, ${fmt(s.seconds, 1)} s.`, '');
    if (s.error) {
      lines.push(`**Failed:** ${s.error}`, '');
      continue;
    }
    lines.push(
      '| figure | value | unit | p50 | p95 | p99 | ceiling | ratio | target | notes |',
      '|---|---:|---|---:|---:|---:|---|---:|---|---|',
    );
    for (const f of s.figures) {
      const ceiling =
        f.ceiling === undefined
          ? '—'
          : `${fmt(f.ceiling, f.ceiling < 100 ? 2 : 0)} (${f.ceilingName ?? 'ceiling'})`;
      lines.push(
        `| ${f.name} | ${fmt(f.value, f.value < 100 ? 2 : 0)} | ${f.unit} | ${fmt(f.p50, 2)} | ${fmt(f.p95, 2)} | ${fmt(f.p99, 2)} | ${ceiling} | ${f.ratio === undefined ? '—' : `${fmt(f.ratio, 2)}×`} | ${f.target ?? '—'} | ${f.notes ?? ''} |`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const root = projectRoot();
  const here = dirname(fileURLToPath(import.meta.url));
  const config = benchConfig();
  const only = (config.only ?? '').split(',').filter((s) => s !== '');
  const files = readdirSync(here)
    .filter((f) => /\.bench\.(js|ts)$/.test(f))
    .filter((f) => only.length === 0 || only.includes(basename(f).replace(/\.bench\.(js|ts)$/, '')))
    .sort();
  if (files.length === 0) {
    log('no benchmarks selected');
    return;
  }

  const status = await stackStatus();
  // A ClickHouse given by CLICKHOUSE_URL is used instead of the stack's.
  const infra = ['kafka', 'schema-registry', 'postgres', 'clickhouse', 'prometheus'].filter(
    (n) => !(n === 'clickhouse' && environment()['CLICKHOUSE_URL']),
  );
  const healthy = (n: string) => status.statuses.some((s) => s.name === n && s.healthy);
  const running = status.mode === 'docker' || infra.every(healthy);
  // Stop afterwards only what this run started: all of it, or what a running stack lacked.
  const startedAll = !running && !infra.some(healthy);
  let startedHere: string[] = [];
  if (!running) {
    log(
      startedAll
        ? 'no running stack: starting the servers for this run'
        : 'starting the servers the stack lacks',
    );
    startedHere = (await stackUp(log, { infraOnly: true })).started;
  }
  const env = loadStackEnv(stackPaths().envFile);

  const started = new Date();
  const sections: Section[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: Benchmark };
    const bench = mod.default;
    log(`${bench.name}: ${bench.title}`);
    const t0 = performance.now();
    try {
      const figures = await bench.run({
        env,
        log: (m) => log(`${bench.name}: ${m}`),
        quick: config.quick,
      });
      for (const f of figures) if (f.ceiling !== undefined && f.ceiling > 0) f.ratio = f.value / f.ceiling;
      sections.push({
        name: bench.name,
        title: bench.title,
        seconds: (performance.now() - t0) / 1000,
        figures,
      });
    } catch (err) {
      log(`${bench.name} FAILED: ${(err as Error).stack ?? String(err)}`);
      sections.push({
        name: bench.name,
        title: bench.title,
        seconds: (performance.now() - t0) / 1000,
        figures: [],
        error: (err as Error).message,
      });
    }
  }
  if (startedAll) await stackDown(log);
  else if (startedHere.length > 0) await stackStopComponents(log, startedHere);

  // Keep the sections of benchmarks not run this time (BENCH=…) from the previous results.
  const resultsFile = join(root, 'bench', 'results.json');
  let previous: { sections?: Section[] } = {};
  try {
    previous = JSON.parse(readFileSync(resultsFile, 'utf8')) as { sections?: Section[] };
  } catch {
    /* first run */
  }
  const merged = [
    ...(previous.sections ?? []).filter((p) => !sections.some((s) => s.name === p.name)),
    ...sections,
  ].sort((a, b) => a.name.localeCompare(b.name));
  const figures = merged.flatMap((s) => s.figures);
  writeFileSync(
    resultsFile,
    JSON.stringify({ date: started.toISOString(), machine: machine(), figures, sections: merged }, null, 2) +
      '\n',
  );
  writeFileSync(join(root, 'BENCHMARKS.md'), renderMarkdown(merged, started));

  for (const s of sections) {
    console.log(`\n${s.title}${s.error ? `  FAILED: ${s.error}` : ''}`);
    for (const f of s.figures) {
      const ratio =
        f.ratio === undefined
          ? ''
          : `  (${fmt(f.ratio, 2)}× ${f.ceilingName ?? 'ceiling'} ${fmt(f.ceiling)})`;
      console.log(
        `  ${f.name.padEnd(40)} ${fmt(f.value, f.value < 100 ? 2 : 0).padStart(12)} ${f.unit}${ratio}`,
      );
    }
  }
  console.log(`\nwrote BENCHMARKS.md and bench/results.json`);
  if (sections.some((s) => s.error)) process.exitCode = 1;
}

await main();
