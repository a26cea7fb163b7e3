/**
 * Input validation of the query API: every bad parameter is a 400 naming the parameter, the
 * value and what is allowed — never a database error.
 */
import { idProblem } from '../../lib/contracts/event/validate.js';
import { HttpError } from '../http.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
export const MAX_RANGE_MS = 31 * 86_400_000;
export const MAX_LIMIT = 1000;

function bad(param: string, message: string): HttpError {
  return new HttpError(400, 'INVALID_ARGUMENT', `${param} ${message}`, { param });
}

/** Ids are checked by the event contract's own rule: every id ingest accepts can be queried. */
function id(param: string, value: string | undefined): string {
  const problem = idProblem(value ?? null);
  if (problem !== undefined)
    throw bad(param, problem === 'must be a string, got null' ? 'is required' : problem);
  return value as string;
}

export function storeId(value: string | undefined): string {
  return id('store_id', value);
}

export function sku(value: string): string {
  return id('sku', value);
}

export function day(url: URL, param = 'date'): Date {
  const raw = url.searchParams.get(param);
  if (raw === null) throw bad(param, 'is required (YYYY-MM-DD, UTC)');
  const d = new Date(`${raw}T00:00:00Z`);
  if (!DATE.test(raw) || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== raw) {
    throw bad(param, `must be a calendar date YYYY-MM-DD, got "${raw}"`);
  }
  return d;
}

/** An instant: ISO 8601 with a time zone, or epoch milliseconds. */
export function instant(url: URL, param: string, required: boolean): Date | undefined {
  const raw = url.searchParams.get(param);
  if (raw === null || raw === '') {
    if (required) throw bad(param, 'is required (ISO 8601 with a zone, or epoch ms)');
    return undefined;
  }
  const d = /^\d+$/.test(raw)
    ? new Date(Number(raw))
    : /[zZ]|[+-]\d{2}:?\d{2}$/.test(raw)
      ? new Date(raw)
      : new Date(NaN);
  if (Number.isNaN(d.getTime()))
    throw bad(param, `must be ISO 8601 with a time zone (…Z) or epoch ms, got "${raw}"`);
  return d;
}

export function range(url: URL): { from: Date; to: Date } {
  const from = instant(url, 'from', true)!;
  const to = instant(url, 'to', true)!;
  if (to.getTime() <= from.getTime()) throw bad('to', 'must be after from');
  if (to.getTime() - from.getTime() > MAX_RANGE_MS) throw bad('to', `must be at most 31 days after from`);
  return { from, to };
}

export function limit(url: URL, fallback = 100): number {
  const raw = url.searchParams.get('limit');
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_LIMIT)
    throw bad('limit', `must be an integer 1…${MAX_LIMIT}, got "${raw}"`);
  return n;
}

/** Where a key query is answered: Postgres (the default) or ClickHouse (issue 12). */
export const SOURCES = ['postgres', 'clickhouse'] as const;
export type Source = (typeof SOURCES)[number];

export function source(url: URL): Source {
  const raw = url.searchParams.get('source');
  if (raw === null || raw === '') return 'postgres';
  if ((SOURCES as readonly string[]).includes(raw)) return raw as Source;
  throw bad('source', `must be one of ${SOURCES.join(', ')}, got "${raw}"`);
}

export interface Cursor {
  eventTimeMs: number;
  eventId: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(`${c.eventTimeMs}|${c.eventId}`).toString('base64url');
}

export function cursor(url: URL): Cursor | undefined {
  const raw = url.searchParams.get('cursor');
  if (raw === null || raw === '') return undefined;
  const [ms, id] = Buffer.from(raw, 'base64url').toString('utf8').split('|');
  const eventTimeMs = Number(ms);
  if (!Number.isSafeInteger(eventTimeMs) || !id || !/^[0-9a-f-]{36}$/i.test(id))
    throw bad('cursor', 'is not a cursor this API issued');
  return { eventTimeMs, eventId: id };
}
