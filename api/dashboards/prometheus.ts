/**
 * The dashboards' only way to Prometheus: `serve` forwards a PromQL instant or range query
 * (`/api/v1/query`, `/api/v1/query_range` — never the admin, write or metadata APIs) with the
 * parameters it checked, after substituting Grafana's template variables (variables.ts). The
 * browser never talks to Prometheus itself: one origin, one credential, and Prometheus stays
 * on the loopback without a token of its own.
 */
import { HttpError } from '../http.js';
import type { TemplateVariable } from './catalog.js';
import { substituteVariables } from './variables.js';

export type QueryKind = 'query' | 'query_range';

/** Longest PromQL accepted, points per series (Prometheus refuses more than 11,000), longest range. */
const MAX_QUERY_CHARS = 8192;
const MAX_POINTS = 11_000;
const MAX_RANGE_SECONDS = 31 * 24 * 3600;
/** Points a panel plots when the client sends no step (instant queries: for $__interval). */
const DEFAULT_POINTS = 240;
const TIMEOUT_MS = 10_000;

function number(url: URL, name: string, fallback?: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') {
    if (fallback !== undefined) return fallback;
    throw new HttpError(400, 'INVALID_ARGUMENT', `parameter ${name} is required`, { parameter: name });
  }
  const n = Number(raw);
  if (!Number.isFinite(n))
    throw new HttpError(
      400,
      'INVALID_ARGUMENT',
      `parameter ${name} must be a number (Unix seconds or seconds), got ${raw}`,
      {
        parameter: name,
      },
    );
  return n;
}

/** The query string to send to Prometheus: checked, variables substituted. */
export function prometheusParams(
  kind: QueryKind,
  url: URL,
  variables: readonly TemplateVariable[] = [],
  now = Date.now() / 1000,
): URLSearchParams {
  const query = url.searchParams.get('query') ?? '';
  if (query.trim() === '' || query.length > MAX_QUERY_CHARS)
    throw new HttpError(
      400,
      'INVALID_ARGUMENT',
      `parameter query must be PromQL of 1 to ${MAX_QUERY_CHARS} characters`,
      {
        parameter: 'query',
      },
    );
  const out = new URLSearchParams();
  if (kind === 'query_range') {
    const start = number(url, 'start');
    const end = number(url, 'end');
    const step = number(url, 'step');
    if (end <= start || end - start > MAX_RANGE_SECONDS)
      throw new HttpError(
        400,
        'INVALID_ARGUMENT',
        `end must be after start, by at most ${MAX_RANGE_SECONDS} s`,
        {
          start,
          end,
        },
      );
    if (step < 1 || (end - start) / step > MAX_POINTS)
      throw new HttpError(
        400,
        'INVALID_ARGUMENT',
        `step must be at least 1 s and give at most ${MAX_POINTS} points`,
        {
          step,
        },
      );
    out.set('query', substituteVariables(query, { rangeSeconds: end - start, stepSeconds: step }, variables));
    out.set('start', String(start));
    out.set('end', String(end));
    out.set('step', String(step));
  } else {
    const time = number(url, 'time', now);
    const range = number(url, 'range', 1800);
    if (range < 1 || range > MAX_RANGE_SECONDS)
      throw new HttpError(400, 'INVALID_ARGUMENT', `range must be 1 to ${MAX_RANGE_SECONDS} s`, { range });
    out.set(
      'query',
      substituteVariables(query, { rangeSeconds: range, stepSeconds: range / DEFAULT_POINTS }, variables),
    );
    out.set('time', String(time));
  }
  return out;
}

interface PrometheusAnswer {
  status?: string;
  errorType?: string;
  error?: string;
}

/** Prometheus's answer to a checked query; its refusal of the PromQL is a 400 naming its reason. */
export async function forwardQuery(base: string, kind: QueryKind, params: URLSearchParams): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${base.replace(/\/$/, '')}/api/v1/${kind}?${params.toString()}`, {
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const reason =
      e.name === 'TimeoutError' ? `no answer within ${TIMEOUT_MS / 1000} s` : (e.cause?.code ?? e.message);
    throw new HttpError(
      503,
      'PROMETHEUS_UNAVAILABLE',
      `Prometheus at ${base} is unreachable (${reason})`,
      {},
      { 'retry-after': '5' },
      true,
    );
  }
  const body = (await res.json().catch(() => ({}))) as PrometheusAnswer;
  if (res.ok && body.status === 'success') return body;
  if (res.status === 400 || res.status === 422)
    throw new HttpError(
      400,
      'INVALID_ARGUMENT',
      `Prometheus refused the query: ${body.error ?? res.statusText}`,
      {
        serverCode: body.errorType ?? String(res.status),
      },
    );
  throw new HttpError(
    503,
    'PROMETHEUS_UNAVAILABLE',
    `Prometheus answered ${res.status}: ${body.error ?? res.statusText}`,
    { serverCode: body.errorType ?? String(res.status) },
    { 'retry-after': '5' },
    true,
  );
}
