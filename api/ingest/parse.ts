/**
 * Request bodies of POST /v1/events: a JSON array of events (or one event object), or NDJSON (one
 * event per line). The format comes from Content-Type, else from the first character.
 */
import type { FieldProblem } from '../../lib/contracts/event/validate.js';
import { HttpError } from '../http.js';

export interface ParsedBody {
  format: 'json' | 'ndjson';
  /** One entry per event; `undefined` where an NDJSON line did not parse (see lineErrors). */
  items: unknown[];
  lineErrors: { index: number; line: number; problems: FieldProblem[] }[];
}

const JSON_TYPES = new Set(['application/json', 'text/json']);
const NDJSON_TYPES = new Set([
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'application/x-jsonlines',
  'application/jsonlines',
]);
const SNIFF_TYPES = new Set(['', 'text/plain', 'application/octet-stream']);

export const ACCEPTED_CONTENT_TYPES = [...JSON_TYPES, ...NDJSON_TYPES];

/** The body format from Content-Type; throws 415 for anything that is not JSON or NDJSON. */
export function formatOf(contentType: string | undefined): 'json' | 'ndjson' | 'sniff' {
  const base = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (JSON_TYPES.has(base)) return 'json';
  if (NDJSON_TYPES.has(base)) return 'ndjson';
  if (SNIFF_TYPES.has(base)) return 'sniff';
  throw new HttpError(
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    `Content-Type ${base} is not accepted; send application/json (an array of events) or application/x-ndjson`,
    { accepted: ACCEPTED_CONTENT_TYPES },
  );
}

function malformed(message: string): HttpError {
  return new HttpError(400, 'MALFORMED_BODY', message, { accepted: 0 });
}

/** Fatal: a body that is not valid UTF-8 is refused, never silently repaired with U+FFFD. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function utf8(body: Buffer): string {
  try {
    return UTF8.decode(body);
  } catch {
    let at = 0;
    // Find the first bad byte for the message: decode growing prefixes is O(n²); scan instead.
    while (at < body.length) {
      const n = sequenceLength(body, at);
      if (n === 0) break;
      at += n;
    }
    throw malformed(`the body is not valid UTF-8 (first invalid byte at offset ${at})`);
  }
}

/** Length of the well-formed UTF-8 sequence at `i`, or 0 if the bytes there are not one. */
function sequenceLength(b: Buffer, i: number): number {
  const c = b[i] as number;
  if (c < 0x80) return 1;
  const n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (n === 0 || i + n > b.length) return 0;
  try {
    UTF8.decode(b.subarray(i, i + n));
    return n;
  } catch {
    return 0;
  }
}

export function parseEvents(body: Buffer, contentType: string | undefined): ParsedBody {
  const text = utf8(body);
  const first = /\S/.exec(text)?.[0];
  if (first === undefined) throw malformed('the body is empty: send a JSON array of events or NDJSON lines');
  let format = formatOf(contentType);
  if (format === 'sniff') format = first === '[' ? 'json' : 'ndjson';
  if (format === 'json') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw malformed(`the body is not valid JSON: ${(err as Error).message}`);
    }
    if (Array.isArray(value)) return { format, items: value, lineErrors: [] };
    if (typeof value === 'object' && value !== null) return { format, items: [value], lineErrors: [] };
    throw malformed(
      `the body must be a JSON array of event objects (or one event object), got ${value === null ? 'null' : typeof value}`,
    );
  }
  const items: unknown[] = [];
  const lineErrors: ParsedBody['lineErrors'] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    try {
      items.push(JSON.parse(line));
    } catch (err) {
      lineErrors.push({
        index: items.length,
        line: i + 1,
        problems: [
          { field: '(event)', reason: `line ${i + 1} is not valid JSON: ${(err as Error).message}` },
        ],
      });
      items.push(undefined);
    }
  });
  return { format, items, lineErrors };
}
