/**
 * Grafana's template variables in a panel's PromQL, replaced as Grafana does before the query
 * goes to Prometheus (https://grafana.com/docs/grafana/latest/dashboards/variables/add-template-variables/#global-variables):
 *
 *   $__interval        the step of the range query (range / points), at least the scrape interval
 *   $__rate_interval   max($__interval + scrape interval, 4 × scrape interval): a rate() window
 *                      that always holds at least two samples
 *   $__range           the picked range (`1800s`); also $__interval_ms, $__range_s, $__range_ms
 *   $name, ${name}, [[name]]  a dashboard variable: its current value (`All`, a list or no saved
 *                      value → a regex: use it with `=~`)
 *
 * Anything else is left as it is, so Prometheus names an unknown variable in its parse error.
 */
import type { TemplateVariable } from './catalog.js';

/** dashboards/prometheus.yml and the native stack scrape every 5 s. */
export const SCRAPE_INTERVAL_SECONDS = 5;

export interface QueryWindow {
  /** Range of the query in seconds (instant queries: the dashboard's picked range). */
  rangeSeconds: number;
  /** Step of a range query in seconds (instant queries: the range divided by the default points). */
  stepSeconds: number;
}

const seconds = (s: number): string => `${Math.max(1, Math.round(s))}s`;

function variableValue(v: TemplateVariable): string {
  const value = v.current?.value;
  // A variable saved without a current value (a query variable never opened in Grafana): all values.
  if (value === undefined) return '.*';
  const values = Array.isArray(value) ? value : [value];
  if (values.includes('$__all') || values.includes('All')) return '.*';
  return values.length === 0 ? '.*' : values.join('|');
}

export function substituteVariables(
  expr: string,
  window: QueryWindow,
  variables: readonly TemplateVariable[] = [],
): string {
  const interval = Math.max(window.stepSeconds, SCRAPE_INTERVAL_SECONDS);
  const builtins = new Map<string, string>([
    ['__interval', seconds(interval)],
    ['__interval_ms', String(Math.round(interval * 1000))],
    ['__rate_interval', seconds(Math.max(interval + SCRAPE_INTERVAL_SECONDS, 4 * SCRAPE_INTERVAL_SECONDS))],
    ['__range', seconds(window.rangeSeconds)],
    ['__range_s', String(Math.round(window.rangeSeconds))],
    ['__range_ms', String(Math.round(window.rangeSeconds * 1000))],
  ]);
  for (const v of variables) {
    if (!builtins.has(v.name)) builtins.set(v.name, variableValue(v));
  }
  return expr.replace(
    /\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)/g,
    (whole, braced?: string, bracketed?: string, bare?: string) =>
      builtins.get(braced ?? bracketed ?? bare ?? '') ?? whole,
  );
}
