/**
 * `retail-etl producer run|rate|pause|resume|status` — the synthetic producer and its run-time
 * control through the compacted control topic (docs/producer.md).
 */
import type { Command } from 'commander';
import { Partitioners, createKafka, ensureTopics } from '../../lib/kafka/index.js';
import { PRODUCER_CONTROL_TOPIC, PRODUCER_GROUP, resolveConfig } from '../../lib/config/index.js';
import { EtlError } from '../../lib/errors.js';
import { createLogger } from '../../lib/logger.js';
import { onShutdown } from '../../lib/shutdown.js';
import { TOPICS } from '../../lib/contracts/topics.js';
import {
  DEFAULT_MAX_RATE,
  MAX_RATE_FIELD,
  rateAboveCap,
  resolveProducerConfig,
} from '../../producer/config.js';
import type { ControlRecord, ControlState } from '../../lib/contracts/control.js';
import { defaultActor, publishControl, readControlState } from '../../producer/control.js';
import { anomalyRecord, controlKeys, pausedRecord, rateRecord } from '../../lib/contracts/control.js';
import { checkInjection } from '../../producer/anomaly.js';
import type { ProducerSummary } from '../../producer/run.js';
import { startProducer } from '../../producer/run.js';

/** Commander option name → config key; only options actually given are passed on. */
const RUN_OPTIONS: [flag: string, key: string, help: string][] = [
  ['--rate <n>', 'rate', 'target events per second (default 100, env PRODUCER_RATE)'],
  [
    '--max-rate <n>',
    'maxRate',
    `safety cap on the rate (default ${DEFAULT_MAX_RATE}, env PRODUCER_MAX_RATE)`,
  ],
  ['--duration <d>', 'duration', 'stop after 30s, 5m, 2h… (env PRODUCER_DURATION)'],
  ['--count <n>', 'count', 'stop after n events (env PRODUCER_COUNT)'],
  ['--seed <s>', 'seed', 'generator seed, 0..4294967295 (default random, logged; env PRODUCER_SEED)'],
  ['--start-time <t>', 'startTime', 'simulated clock start, ISO or epoch ms (env PRODUCER_START_TIME)'],
  ['--topic <name>', 'topic', `target topic (default ${TOPICS.sales})`],
  ['--control-topic <name>', 'controlTopic', `control topic (default ${TOPICS.control})`],
  ['--group <name>', 'group', 'producer group the control commands address (default "default")'],
  ['--replica-id <id>', 'replicaId', 'name of this replica in status (default host-pid)'],
  ['--metrics-port <port>', 'metricsPort', 'port of /metrics /healthz /readyz (default 9401, 0 = any)'],
  ['--batch-size <n>', 'batchSize', 'most events per produce request (default 2000, max 5000)'],
  ['--linger-ms <ms>', 'lingerMs', 'wait for this many ms of due events before sending (default 100)'],
  ['--compression <c>', 'compression', 'none | gzip (default none)'],
  ['--stores <n>', 'stores', 'stores in the catalogue (default 50)'],
  ['--skus <n>', 'skus', 'SKUs in the catalogue (default 2000)'],
  ['--zipf-exponent <x>', 'zipfExponent', 'SKU popularity skew (default 1.1)'],
  ['--return-share <x>', 'returnShare', 'share of baskets that are returns (default 0.03)'],
  [
    '--duplicate-share <x>',
    'duplicateShare',
    'share of events re-sent with the same event_id (default 0.002)',
  ],
  ['--late-share <x>', 'lateShare', 'share of late baskets (default 0.02)'],
  ['--late-distribution <d>', 'lateDistribution', 'exponential | uniform (default exponential)'],
  ['--late-mean-ms <ms>', 'lateMeanMs', 'mean (exponential) or bound (uniform) of lateness (default 120000)'],
  ['--late-max-ms <ms>', 'lateMaxMs', 'largest lateness (default 10800000)'],
  ['--promo-share <x>', 'promoShare', 'share of lines from promoted categories (default 0.2)'],
  ['--currency <code>', 'currency', 'ISO 4217 currency (default EUR)'],
];

export const CONTROL_SCHEMA = {
  group: PRODUCER_GROUP,
  controlTopic: PRODUCER_CONTROL_TOPIC,
  maxRate: { ...MAX_RATE_FIELD, doc: 'cap' },
  actor: { type: 'string', env: 'RETAIL_ETL_ACTOR', doc: 'who is acting (default: the OS user)' },
} as const;

type ControlOpts = { group?: string; controlTopic?: string; maxRate?: string; actor?: string };

function controlOptions(cmd: Command): Command {
  return cmd
    .option('--group <name>', 'producer group to address (default "default", env PRODUCER_GROUP)')
    .option('--control-topic <name>', `control topic (default ${TOPICS.control})`)
    .option('--actor <name>', 'who is acting, for the audit line (default: the OS user)');
}

function resolveControl(opts: ControlOpts) {
  const c = resolveConfig('producer', CONTROL_SCHEMA, {
    group: opts.group,
    controlTopic: opts.controlTopic,
    maxRate: opts.maxRate,
    actor: opts.actor,
  });
  return { ...c, actor: c.actor ?? defaultActor() };
}

async function publish(
  opts: ControlOpts,
  action: string,
  build: (actor: string) => ControlRecord,
  key: (k: ReturnType<typeof controlKeys>) => string,
): Promise<void> {
  const c = resolveControl(opts);
  const record = build(c.actor);
  const audit = createLogger('producer-control');
  const kafka = createKafka('retail-producer-control-cli');
  const admin = kafka.admin();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  try {
    await admin.connect();
    await ensureTopics(admin, [{ topic: c.controlTopic, numPartitions: 1, compacted: true }]);
    await producer.connect();
    await publishControl(producer, c.controlTopic, key(controlKeys(c.group)), record);
  } catch (err) {
    audit.warn('audit: control action failed', { audit: true, actor: c.actor, action, group: c.group, err });
    throw err instanceof EtlError
      ? err
      : new EtlError('KAFKA_ERROR', `cannot reach Kafka: ${(err as Error).message}`, {
          retriable: true,
          cause: err,
        });
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
  audit.info('audit: control action', {
    audit: true,
    actor: c.actor,
    action,
    group: c.group,
    topic: c.controlTopic,
    record,
  });
  console.log(
    `${action} published for producer group "${c.group}" by ${c.actor}; running replicas apply it within 1 s (check: retail-etl producer status)`,
  );
}

function ago(iso: string): string {
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  return s < 120 ? `${s.toFixed(0)}s ago` : `${(s / 60).toFixed(0)}m ago`;
}

/** A replica that has not reported for 3 report intervals is shown as stale (killed, or stuck). */
const STALE_MS = 15_000;

function printStatus(state: ControlState, group: string, topic: string): void {
  const rate = state.rate
    ? `${state.rate.rate} events/s (set by ${state.rate.actor} ${ago(state.rate.at)})`
    : 'not set (each replica keeps its --rate)';
  const paused = state.paused
    ? `${state.paused.paused ? 'PAUSED' : 'running'} (${state.paused.paused ? 'paused' : 'resumed'} by ${state.paused.actor} ${ago(state.paused.at)})`
    : 'running (never paused)';
  console.log(`producer group "${group}" (control topic ${topic})`);
  console.log(`  desired rate:  ${rate}`);
  console.log(`  desired state: ${paused}`);
  if (state.replicas.size === 0) {
    console.log('  replicas: none reporting');
    return;
  }
  console.log('  replicas:');
  for (const [id, r] of state.replicas) {
    const stale = Date.now() - Date.parse(r.at) > STALE_MS;
    const desiredRate = state.rate?.rate;
    const desiredPaused = state.paused?.paused ?? false;
    const inSync =
      (desiredRate === undefined || desiredRate === r.rate || r.lastChange?.startsWith('refused')) &&
      desiredPaused === r.paused;
    const health = r.state === 'stopped' ? 'stopped' : stale ? `STALE (last report ${ago(r.at)})` : 'live';
    console.log(
      `    ${id.padEnd(24)} ${health.padEnd(10)} ${r.paused ? 'paused ' : 'running'} rate ${r.rate}/s  actual ${r.actualRate}/s  events ${r.events}  cap ${r.cap}/s${inSync ? '' : '  (not yet in sync)'}`,
    );
    if (r.lastChange) console.log(`      last change: ${r.lastChange}`);
  }
}

export function registerProducer(program: Command): void {
  const producer = program
    .command('producer')
    .description('the synthetic sales producer and its run-time control (rate, pause, resume, status)');

  const run = producer
    .command('run')
    .description('generate retail sales into Kafka at a controlled rate until stopped (SIGTERM flushes)')
    .option('--no-control', 'ignore the control topic (fixed rate, no reports)')
    .option('--no-validate', 'skip the per-event validator');
  for (const [flag, , help] of RUN_OPTIONS) run.option(flag, help);
  run.action(async (opts: Record<string, string | boolean | undefined>) => {
    const explicit: Record<string, unknown> = {};
    for (const [flag, key] of RUN_OPTIONS) {
      const name = (flag.split(' ')[0] ?? '')
        .replace(/^--/, '')
        .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
      if (opts[name] !== undefined) explicit[key] = opts[name];
    }
    if (opts['control'] === false) explicit['control'] = false;
    if (opts['validate'] === false) explicit['validate'] = false;
    const config = resolveProducerConfig(explicit);
    const logger = createLogger('producer');
    const handle = await startProducer(config, { logger });
    let printed = false;
    const finish = (summary: ProducerSummary) => {
      if (printed) return;
      printed = true;
      console.log(JSON.stringify({ ...summary, seconds: Math.round(summary.seconds * 1000) / 1000 }));
      if (summary.unacknowledged > 0) process.exitCode = 1;
    };
    // SIGTERM/SIGINT: flush the request in flight, print the summary, exit 0 (onShutdown exits).
    onShutdown(logger, async () => {
      const summary = await handle.stop();
      finish(summary);
      if (summary.unacknowledged > 0)
        throw new Error(`${summary.unacknowledged} events were not acknowledged`);
    });
    finish(await handle.finished);
  });

  controlOptions(
    producer
      .command('rate <n>')
      .description('set the rate of every running replica (refused above the cap)')
      .option(
        '--max-rate <n>',
        `the cap to check against (default ${DEFAULT_MAX_RATE}, env PRODUCER_MAX_RATE)`,
      ),
  ).action(async (n: string, opts: ControlOpts) => {
    const c = resolveControl(opts);
    const { rate } = resolveConfig('producer', { rate: { type: 'int', min: 1, doc: 'rate' } }, { rate: n });
    if (rate === undefined) throw new EtlError('INVALID_ARGUMENT', 'a rate is required');
    if (rate > c.maxRate) throw rateAboveCap(rate, c.maxRate);
    await publish(
      opts,
      `rate ${rate}`,
      (actor) => rateRecord(rate, actor),
      (k) => k.rate,
    );
  });

  for (const [action, paused, description] of [
    ['pause', true, 'pause every running replica (within 1 s)'],
    ['resume', false, 'resume every paused replica (within 1 s)'],
  ] as const) {
    controlOptions(producer.command(action).description(description)).action(async (opts: ControlOpts) => {
      await publish(
        opts,
        action,
        (actor) => pausedRecord(paused, actor),
        (k) => k.paused,
      );
    });
  }

  controlOptions(
    producer
      .command('anomaly <store>')
      .description(
        "inject a sales anomaly: multiply one store's sales for a window of event time (docs/anomalies.md); every running replica applies it within 1 s",
      )
      .option(
        '--factor <x>',
        'multiplier: above 1 multiplies quantities, below 1 keeps that share of baskets (0 = none)',
        '5',
      )
      .option('--minutes <n>', 'length of the window', '60')
      .option('--from <iso>', 'start of the window (default: now)'),
  ).action(async (store: string, opts: ControlOpts & { factor: string; minutes: string; from?: string }) => {
    const { factor, minutes } = resolveConfig(
      'producer',
      {
        factor: { type: 'number', min: 0, max: 1000, doc: 'factor' },
        minutes: { type: 'int', min: 1, max: 7 * 24 * 60, doc: 'minutes' },
      },
      { factor: opts.factor, minutes: opts.minutes },
    );
    const from = opts.from === undefined ? Date.now() : Date.parse(opts.from);
    if (!Number.isFinite(from))
      throw new EtlError('INVALID_ARGUMENT', `--from is not an ISO time: ${opts.from}`);
    const injection = checkInjection({
      store,
      factor: factor ?? 5,
      from,
      until: from + (minutes ?? 60) * 60_000,
    });
    await publish(
      opts,
      `anomaly ${store} ×${injection.factor} for ${minutes} min`,
      (actor) => anomalyRecord(injection, actor),
      (k) => k.anomaly,
    );
  });

  producer
    .command('status')
    .description('show the desired rate/pause and what each replica reports')
    .option('--group <name>', 'producer group (default "default")')
    .option('--control-topic <name>', `control topic (default ${TOPICS.control})`)
    .option('--json', 'machine-readable output')
    .action(async (opts: ControlOpts & { json?: boolean }) => {
      const c = resolveControl({ group: opts.group, controlTopic: opts.controlTopic });
      const kafka = createKafka('retail-producer-status');
      const admin = kafka.admin();
      try {
        await admin.connect();
        await ensureTopics(admin, [{ topic: c.controlTopic, numPartitions: 1, compacted: true }]);
      } catch (err) {
        throw new EtlError('KAFKA_ERROR', `cannot reach Kafka: ${(err as Error).message}`, {
          retriable: true,
          cause: err,
        });
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
      const state = await readControlState(kafka, c.controlTopic, c.group);
      if (opts.json) {
        console.log(
          JSON.stringify(
            {
              group: c.group,
              desired: { rate: state.rate ?? null, paused: state.paused ?? null },
              replicas: [...state.replicas.values()].map((r) => ({
                ...r,
                stale: Date.now() - Date.parse(r.at) > STALE_MS,
              })),
            },
            null,
            2,
          ),
        );
      } else {
        printStatus(state, c.group, c.controlTopic);
      }
    });
}
