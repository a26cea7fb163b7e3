/** `retail-etl dlq list|replay` — inspect and re-send dead letters (docs/dlq.md). */
import type { Command } from 'commander';
import { EtlError } from '../../lib/errors.js';
import { createKafka } from '../../lib/kafka/index.js';
import { createRegistry, SaleEventSerde } from '../../lib/contracts/event/serde.js';
import { TOPICS } from '../../lib/contracts/topics.js';
import { readDlq, replayDlq } from '../../sinks/core/dlq/reader.js';
import type { DlqFilter } from '../../sinks/core/dlq/reader.js';
import { DLQ_REASONS } from '../../lib/contracts/dlq.js';

interface FilterOpts {
  topic?: string;
  reason?: string;
  sink?: string;
  partition?: string;
  since?: string;
  until?: string;
  limit?: string;
}

function parseTime(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t))
    throw new EtlError('INVALID_ARGUMENT', `${flag} must be an ISO date/time, got "${v}"`, {
      hint: 'e.g. --since 2025-01-31T12:00:00Z',
    });
  return t;
}

function parseInt0(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new EtlError('INVALID_ARGUMENT', `${flag} must be a whole number, got "${v}"`);
  return n;
}

function toFilter(o: FilterOpts): DlqFilter {
  if (o.reason !== undefined && !(DLQ_REASONS as readonly string[]).includes(o.reason))
    throw new EtlError(
      'INVALID_ARGUMENT',
      `--reason must be one of ${DLQ_REASONS.join(', ')}; got "${o.reason}"`,
    );
  return {
    reason: o.reason,
    sink: o.sink,
    sourcePartition: parseInt0(o.partition, '--partition'),
    since: parseTime(o.since, '--since'),
    until: parseTime(o.until, '--until'),
    limit: parseInt0(o.limit, '--limit'),
  };
}

function filters(cmd: Command): Command {
  return cmd
    .option('--topic <topic>', 'dead-letter topic', TOPICS.dlq)
    .option('--reason <reason>', `only this reason (${DLQ_REASONS.join(', ')})`)
    .option('--sink <sink>', 'only records dead-lettered by this sink (postgres, clickhouse)')
    .option('--partition <n>', 'only records from this source partition')
    .option('--since <time>', 'dead-lettered at or after (ISO time)')
    .option('--until <time>', 'dead-lettered at or before (ISO time)')
    .option('--limit <n>', 'at most this many');
}

export function registerDlq(program: Command): void {
  const dlq = program.command('dlq').description('dead letters of the sinks: list and replay (docs/dlq.md)');

  filters(dlq.command('list').description('show dead letters (one per source record)'))
    .option('--json', 'machine-readable output')
    .action(async (o: FilterOpts & { json?: boolean }) => {
      const entries = await readDlq(createKafka('retail-etl-dlq'), o.topic ?? TOPICS.dlq, toFilter(o));
      if (o.json) {
        console.log(
          JSON.stringify(
            entries.map((e) => ({
              dlq: `${e.dlqPartition}:${e.dlqOffset}`,
              failedAt: new Date(e.failedAt).toISOString(),
              reason: e.reason,
              detail: e.detail,
              sinks: e.sinks,
              source: e.source,
              replayCount: e.replayCount,
              bytes: e.value?.length ?? 0,
              valueBase64: e.value?.toString('base64') ?? null,
            })),
            null,
            2,
          ),
        );
        return;
      }
      console.log(`${entries.length} dead letter(s)`);
      for (const e of entries) {
        console.log(
          `${new Date(e.failedAt).toISOString()}  ${e.reason.padEnd(14)} ${e.source.topic}:${e.source.partition}:${e.source.offset}` +
            `  [${e.sinks.join(',')}]${e.replayCount > 0 ? ` replayed×${e.replayCount}` : ''}  ${e.detail}`,
        );
      }
    });

  filters(
    dlq
      .command('replay')
      .description(
        're-send the original bytes to their topic (only those that now decode and validate, unless --force)',
      ),
  )
    .option('--to <topic>', 're-send to this topic instead of each record’s source topic')
    .option(
      '--force',
      'also re-send records that would fail again (they go back to the DLQ, replay count +1)',
    )
    .option('--dry-run', 'show what would be sent, send nothing')
    .action(async (o: FilterOpts & { to?: string; force?: boolean; dryRun?: boolean }) => {
      const kafka = createKafka('retail-etl-dlq');
      const entries = await readDlq(kafka, o.topic ?? TOPICS.dlq, toFilter(o));
      const serde = new SaleEventSerde(createRegistry());
      const report = await replayDlq(kafka, serde, entries, {
        to: o.to,
        force: o.force ?? false,
        dryRun: o.dryRun ?? false,
      });
      for (const s of report.stillInvalid) {
        console.log(
          `${o.force ? 'sent anyway' : 'kept'}: ${s.entry.source.topic}:${s.entry.source.partition}:${s.entry.source.offset} still ${s.reason}: ${s.detail}`,
        );
      }
      const verb = o.dryRun ? 'would send' : 'sent';
      console.log(
        `${verb} ${o.dryRun ? entries.length - (o.force ? 0 : report.stillInvalid.length) : report.sent} of ${entries.length}; still invalid: ${report.stillInvalid.length}`,
      );
    });
}
