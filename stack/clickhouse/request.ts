/**
 * A ClickHouse HTTP request read the way clickhouse-server reads it: the query from the `query`
 * URL parameter followed by the POST body (or the body alone), `database`, `default_format`,
 * `param_<name>` values, every other unknown URL parameter a setting — except the ones only the
 * HTTP layer understands (compression, progress headers, sessions), which are accepted and ignored.
 * Request bodies may be gzip/deflate/br compressed (Content-Encoding); @clickhouse/client sends
 * query parameters too long for a URL as multipart/form-data.
 */
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';
import type { EngineQuery } from './engine.js';
import { EngineError } from './engine.js';

/** URL parameters that are not settings of the query. */
const NOT_SETTINGS = new Set([
  'query',
  'database',
  'default_format',
  'user',
  'password',
  'query_id',
  'session_id',
  'session_timeout',
  'session_check',
  'quota_key',
  'role',
  'buffer_size',
  'compress',
  'decompress',
]);

/** Settings of clickhouse-server's HTTP layer: no meaning for the engine (chdb rejects some). */
export const HTTP_ONLY_SETTINGS = new Set([
  'wait_end_of_query',
  'send_progress_in_http_headers',
  'http_headers_progress_interval_ms',
  'http_response_buffer_size',
  'http_send_progress_interval_ms',
  'enable_http_compression',
  'http_zlib_compression_level',
  'http_native_compression_disable_checksumming_on_decompress',
  'http_wait_end_of_query',
  'cancel_http_readonly_queries_on_client_close',
  'add_http_cors_header',
  'output_format_parallel_formatting',
]);

export interface ParsedRequest extends EngineQuery {
  queryId: string | undefined;
  /** The response should be compressed when the client accepts it (enable_http_compression=1). */
  compressResponse: boolean;
}

/** Statements refused on GET (ClickHouse runs GET requests read-only); anything else is the engine's to judge. */
const MODIFYING =
  /^\s*(INSERT|CREATE|DROP|ALTER|TRUNCATE|RENAME|OPTIMIZE|DELETE|UPDATE|SYSTEM|ATTACH|DETACH|EXCHANGE|GRANT|REVOKE|KILL|SET|USE|UNDROP|BACKUP|RESTORE)\b/i;

const decoders: Record<string, (b: Buffer) => Promise<Buffer>> = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  deflate: promisify(inflate),
  br: promisify(brotliDecompress),
};

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  const encoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') return raw;
  const decode = decoders[encoding];
  if (!decode)
    throw new EngineError(
      `Code: 48. DB::Exception: Unsupported Content-Encoding: ${encoding}. (NOT_IMPLEMENTED)`,
      48,
    );
  try {
    return await decode(raw);
  } catch (err) {
    throw new EngineError(
      `Code: 432. DB::Exception: Cannot decompress ${encoding} request body: ${(err as Error).message}. (UNKNOWN_CODEC)`,
      432,
    );
  }
}

export async function parseRequest(req: IncomingMessage, url: URL): Promise<ParsedRequest> {
  const fields = new Map<string, string>(url.searchParams);
  let body = req.method === 'POST' ? await readBody(req) : Buffer.alloc(0);
  const contentType = req.headers['content-type'] ?? '';
  if (contentType.startsWith('multipart/form-data')) {
    const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
    for (const [k, v] of form.entries()) if (typeof v === 'string') fields.set(k, v);
    body = Buffer.alloc(0);
  }
  const urlQuery = fields.get('query') ?? '';
  // As clickhouse-server: the URL's query, a newline, then the body (INSERT … FORMAT X + data).
  const sql =
    urlQuery !== '' && body.length > 0
      ? `${urlQuery}\n${body.toString('utf8')}`
      : urlQuery || body.toString('utf8');
  if (sql.trim() === '') throw new EngineError('Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)', 62);
  if (req.method === 'GET' && MODIFYING.test(sql))
    throw new EngineError(
      'Code: 164. DB::Exception: Cannot execute query in readonly mode. For queries over HTTP, method GET implies readonly. You should use method POST for modifying queries. (READONLY)',
      164,
    );
  const settings: Record<string, string> = {};
  const params: Record<string, string> = {};
  for (const [k, v] of fields) {
    if (k.startsWith('param_')) params[k.slice('param_'.length)] = v;
    else if (!NOT_SETTINGS.has(k) && !HTTP_ONLY_SETTINGS.has(k)) settings[k] = v;
  }
  return {
    sql,
    database: fields.get('database') || String(req.headers['x-clickhouse-database'] ?? '') || 'default',
    settings,
    params,
    format:
      fields.get('default_format') || String(req.headers['x-clickhouse-format'] ?? '') || 'TabSeparated',
    queryId: fields.get('query_id'),
    compressResponse: fields.get('enable_http_compression') === '1',
  };
}
