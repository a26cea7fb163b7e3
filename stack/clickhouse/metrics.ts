/**
 * `/metrics` of the native ClickHouse server, in Prometheus' text format, from the engine's own
 * tables — under the names clickhouse-server's Prometheus endpoint uses (`ClickHouseMetrics_*`
 * from system.metrics, `ClickHouseProfileEvents_*` counters from system.events), so one
 * dashboard reads both — plus
 * per-table active parts, rows and bytes on disk from system.parts (`ClickHouseTable_*`: compose
 * serves the same query from the server's own /metrics/tables handler).
 *
 * The engine renders it (`FORMAT Prometheus`): one query, queued like any other. Like
 * clickhouse-server's endpoint it needs no credentials; it names tables and counts, no data.
 * What it is not: the engine runs in-process with no server around it, so there is no
 * system.asynchronous_metrics (no `ClickHouseAsyncMetrics_*`: memory, disks, uptime) and
 * server-only figures (TCP connections, replication) are 0.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClickhouseEngine } from './engine.js';
import { EngineError } from './engine.js';

/** The per-table part of the query; docker-compose's ClickHouse config runs the same SQL. */
export const TABLE_METRICS_SQL = `
SELECT 'ClickHouseTable_' || m.1 AS name, m.2 AS value, m.3 AS help, 'gauge' AS type,
       map('database', database, 'table', table) AS labels
  FROM (SELECT database, table,
               [('active_parts', toFloat64(count()), 'Active data parts of the table'),
                ('rows', toFloat64(sum(rows)), 'Rows in the active parts'),
                ('bytes_on_disk', toFloat64(sum(bytes_on_disk)), 'Bytes on disk of the active parts')] AS ms
          FROM system.parts WHERE active GROUP BY database, table)
 ARRAY JOIN ms AS m`;

export const METRICS_SQL = `
SELECT name, value, help, type, labels FROM (
  SELECT 'ClickHouseMetrics_' || metric AS name, toFloat64(value) AS value, description AS help,
         'gauge' AS type, map() AS labels FROM system.metrics
  UNION ALL
  SELECT 'ClickHouseProfileEvents_' || event, toFloat64(value), description, 'counter', map()
    FROM system.events
  UNION ALL
  ${TABLE_METRICS_SQL.trim()}
) ORDER BY name
FORMAT Prometheus`;

/** Answer GET /metrics (the route hook in server.ts calls this before any authentication). */
export async function serveMetrics(
  engine: ClickhouseEngine,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  req.resume();
  if (req.method !== 'GET') {
    res.writeHead(405, { Allow: 'GET' }).end();
    return;
  }
  try {
    const result = await engine.run({
      sql: METRICS_SQL,
      database: 'default',
      settings: {},
      params: {},
      format: 'Prometheus',
    });
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(result.body);
  } catch (err) {
    if (!(err instanceof EngineError)) throw err;
    res.writeHead(500, { 'Content-Type': 'text/plain; charset=UTF-8' }).end(`${err.message}\n`);
  }
}
