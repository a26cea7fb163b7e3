/** The native ClickHouse's /metrics: what it asks the engine, what it answers, and compose's twin query. */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClickhouseEngine, EngineQuery } from '../../../stack/clickhouse/engine.js';
import { EngineError } from '../../../stack/clickhouse/engine.js';
import { METRICS_SQL, TABLE_METRICS_SQL, serveMetrics } from '../../../stack/clickhouse/metrics.js';
import { projectRoot } from '../../../stack/paths.js';

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

function response() {
  const out: { status?: number; headers?: Record<string, string>; body?: string } = {};
  const res = {
    writeHead(status: number, headers: Record<string, string>) {
      out.status = status;
      out.headers = headers;
      return res;
    },
    end(body?: Buffer | string) {
      out.body = body === undefined ? '' : String(body);
      return res;
    },
  };
  return { res: res as unknown as ServerResponse, out };
}

const get = { method: 'GET', resume: () => undefined } as unknown as IncomingMessage;

describe('ClickHouse /metrics', () => {
  it('asks for the metrics, events and per-table parts in Prometheus format, and serves the text', async () => {
    const seen: EngineQuery[] = [];
    const engine = {
      run: async (q: EngineQuery) => {
        seen.push(q);
        return { body: Buffer.from('ClickHouseMetrics_Query 1\n'), rowsRead: 1, bytesRead: 1, elapsedNs: 1 };
      },
    } as unknown as ClickhouseEngine;
    const { res, out } = response();
    await serveMetrics(engine, get, res);
    expect(out.status).toBe(200);
    expect(out.headers?.['Content-Type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(out.body).toBe('ClickHouseMetrics_Query 1\n');
    const sql = seen[0]?.sql ?? '';
    for (const part of ['system.metrics', 'system.events', 'system.parts', 'FORMAT Prometheus'])
      expect(sql).toContain(part);
    expect(sql).not.toContain('asynchronous_metrics'); // chdb has none: the query would fail
  });

  it('an engine failure answers 500 with ClickHouse’s text; only GET is served', async () => {
    const engine = {
      run: async () => {
        throw new EngineError('Code: 60. DB::Exception: Unknown table. (UNKNOWN_TABLE)', 60);
      },
    } as unknown as ClickhouseEngine;
    const failed = response();
    await serveMetrics(engine, get, failed.res);
    expect(failed.out.status).toBe(500);
    expect(failed.out.body).toContain('UNKNOWN_TABLE');
    const post = response();
    await serveMetrics(
      engine,
      { method: 'POST', resume: () => undefined } as unknown as IncomingMessage,
      post.res,
    );
    expect(post.out.status).toBe(405);
  });

  it('compose’s ClickHouse serves the same per-table query at /metrics/tables', () => {
    const xml = readFileSync(join(projectRoot(), 'stack', 'assets', 'clickhouse', 'prometheus.xml'), 'utf8');
    expect(squash(xml)).toContain(squash(TABLE_METRICS_SQL));
    expect(squash(METRICS_SQL)).toContain(squash(TABLE_METRICS_SQL));
    expect(xml).toContain('<url>/metrics/tables</url>');
  });
});
