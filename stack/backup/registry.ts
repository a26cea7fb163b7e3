/**
 * The Schema Registry's schemas through its Confluent-compatible API (Apicurio serves it at
 * /apis/ccompat/v7): every version of every subject at backup; at restore, the versions a
 * registry lacks are registered again in order. A new registry may give a schema another id than
 * the one Kafka records carry in their framing — restore reports each such id (docs/runbook.md).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { registryClientSecurity } from '../../lib/contracts/event/registry-security.js';
import { EtlError } from '../../lib/errors.js';

export interface SchemaVersion {
  subject: string;
  version: number;
  id: number;
  schema: string;
  schemaType?: string;
  references?: unknown[];
}

function call(base: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const security = registryClientSecurity(base);
  const url = new URL(base.replace(/\/$/, '') + path);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent: security.agent,
        auth: security.auth ? `${security.auth.username}:${security.auth.password}` : undefined,
        headers: {
          accept: 'application/vnd.schemaregistry.v1+json, application/json',
          ...(payload ? { 'content-type': 'application/vnd.schemaregistry.v1+json' } : {}),
        },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 500) >= 300)
            return reject(
              new EtlError(
                'SCHEMA_REGISTRY_ERROR',
                `${method} ${url.pathname}: HTTP ${res.statusCode} ${text.slice(0, 200)}`,
                {
                  retriable: (res.statusCode ?? 500) >= 500,
                  serverCode: String(res.statusCode),
                },
              ),
            );
          try {
            resolve(text === '' ? null : JSON.parse(text));
          } catch {
            reject(
              new EtlError('SCHEMA_REGISTRY_ERROR', `${method} ${url.pathname}: the answer is not JSON`),
            );
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', (err) =>
      reject(
        new EtlError('SCHEMA_REGISTRY_ERROR', `cannot reach the registry: ${err.message}`, {
          retriable: true,
          cause: err,
        }),
      ),
    );
    req.end(payload);
  });
}

const enc = encodeURIComponent;

/** Every version of every subject, in subject then version order. */
export async function exportSchemas(base: string): Promise<SchemaVersion[]> {
  const subjects = ((await call(base, 'GET', '/subjects')) as string[]).slice().sort();
  const out: SchemaVersion[] = [];
  for (const subject of subjects) {
    const versions = ((await call(base, 'GET', `/subjects/${enc(subject)}/versions`)) as number[])
      .slice()
      .sort((a, b) => a - b);
    for (const v of versions) {
      const s = (await call(base, 'GET', `/subjects/${enc(subject)}/versions/${v}`)) as SchemaVersion;
      out.push({
        subject,
        version: s.version,
        id: s.id,
        schema: s.schema,
        ...(s.schemaType ? { schemaType: s.schemaType } : {}),
        ...(s.references && s.references.length > 0 ? { references: s.references } : {}),
      });
    }
  }
  return out;
}

export interface ImportResult {
  registered: number;
  present: number;
  /** Versions registered under another id than the archived one: records framed with the old id cannot be decoded. */
  idChanged: { subject: string; version: number; archived: number; now: number }[];
}

/** Register each archived version (a schema the subject already holds is answered with its id, nothing new). */
export async function importSchemas(base: string, versions: readonly SchemaVersion[]): Promise<ImportResult> {
  const result: ImportResult = { registered: 0, present: 0, idChanged: [] };
  for (const v of versions) {
    const before = await call(base, 'POST', `/subjects/${enc(v.subject)}`, {
      schema: v.schema,
      ...(v.schemaType ? { schemaType: v.schemaType } : {}),
      ...(v.references ? { references: v.references } : {}),
    }).catch(() => undefined);
    let id: number;
    if (before) {
      result.present++;
      id = (before as { id: number }).id;
    } else {
      const r = (await call(base, 'POST', `/subjects/${enc(v.subject)}/versions`, {
        schema: v.schema,
        ...(v.schemaType ? { schemaType: v.schemaType } : {}),
        ...(v.references ? { references: v.references } : {}),
      })) as { id: number };
      result.registered++;
      id = r.id;
    }
    if (id !== v.id)
      result.idChanged.push({ subject: v.subject, version: v.version, archived: v.id, now: id });
  }
  return result;
}
