/**
 * The control panel's live figures, read from Prometheus (the same series the dashboards use).
 * Prometheus being down is an answer, not an error: `{prometheus: "down", reason}` — the panel says
 * so and its controls keep working.
 */

/** Figure name → PromQL. Windows are short: the panel is about "now". */
export const FIGURE_QUERIES = {
  eventsIn:
    'sum(rate(retail_producer_events_total[30s])) + (sum(rate(retail_ingest_events_total{result="accepted"}[30s])) or vector(0))',
  rowsOut: 'sum by (sink) (rate(retail_sink_rows_written_total[30s]))',
  lagSeconds: 'max({__name__=~"retail_[a-z]+_consumer_lag_seconds"})',
  lagMessages: 'sum({__name__=~"retail_[a-z]+_consumer_lag_messages"})',
  latencyP95:
    'histogram_quantile(0.95, sum by (le) (rate(retail_sink_event_to_row_seconds_bucket{from="ingest"}[1m])))',
  dlqRate: 'sum(rate({__name__=~"retail_[a-z]+_dlq_records_total"}[1m]))',
} as const;

export type FigureName = keyof typeof FIGURE_QUERIES;

export interface Figures {
  prometheus: 'up' | 'down';
  reason?: string;
  at: string;
  /** null = no data yet (the component is not running, or not scraped yet). */
  figures: Partial<Record<FigureName, number | null>>;
  rowsOutBySink: Record<string, number>;
}

interface PromVector {
  status: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

async function query(base: string, expr: string): Promise<PromVector['data']> {
  const res = await fetch(`${base.replace(/\/$/, '')}/api/v1/query?query=${encodeURIComponent(expr)}`, {
    signal: AbortSignal.timeout(2000),
  });
  const body = (await res.json()) as PromVector;
  if (body.status !== 'success') throw new Error(`Prometheus refused the query: ${body.error ?? res.status}`);
  return body.data;
}

const num = (v: string | undefined): number | null => {
  const n = Number(v);
  return v === undefined || !Number.isFinite(n) ? null : Math.round(n * 1000) / 1000;
};

export async function queryFigures(prometheusUrl: string): Promise<Figures> {
  const at = new Date().toISOString();
  try {
    const names = Object.keys(FIGURE_QUERIES) as FigureName[];
    const results = await Promise.all(names.map((n) => query(prometheusUrl, FIGURE_QUERIES[n])));
    const figures: Figures['figures'] = {};
    const rowsOutBySink: Record<string, number> = {};
    names.forEach((name, i) => {
      const result = results[i]?.result ?? [];
      if (name === 'rowsOut') {
        for (const r of result) rowsOutBySink[r.metric['sink'] ?? '?'] = num(r.value[1]) ?? 0;
        figures.rowsOut =
          result.length === 0 ? null : Object.values(rowsOutBySink).reduce((a, b) => a + b, 0);
      } else {
        figures[name] = num(result[0]?.value[1]);
      }
    });
    return { prometheus: 'up', at, figures, rowsOutBySink };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const reason = e.name === 'TimeoutError' ? 'no answer within 2 s' : (e.cause?.code ?? e.message);
    return {
      prometheus: 'down',
      reason: `Prometheus at ${prometheusUrl} is unreachable (${reason})`,
      at,
      figures: {},
      rowsOutBySink: {},
    };
  }
}
