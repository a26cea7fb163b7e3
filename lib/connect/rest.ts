/**
 * The few calls of Kafka Connect's REST API the comparison needs. Errors carry the worker's own
 * `error_code` and message (it answers `{"error_code": 400, "message": "…"}`).
 */
import { EtlError } from '../errors.js';
import { redact } from '../redact.js';

export interface TaskState {
  id: number;
  state: string;
  worker_id: string;
  trace?: string;
}

export interface ConnectorState {
  name: string;
  connector: { state: string; worker_id: string; trace?: string };
  tasks: TaskState[];
  type?: string;
}

/**
 * A Connect URL may carry the REST API's basic-auth credentials (http://user:password@host:port,
 * as `make up` writes KAFKA_CONNECT_URL): fetch refuses such URLs, so they become a header and the
 * URL without them (the one printed in messages).
 */
export function connectEndpoint(url: string): { base: string; headers: Record<string, string> } {
  const u = new URL(url);
  const headers: Record<string, string> = {};
  if (u.username !== '') {
    const credentials = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
    headers['authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
    u.username = '';
    u.password = '';
  }
  return { base: u.toString().replace(/\/$/, ''), headers };
}

export class ConnectClient {
  private readonly baseUrl: string;
  private readonly auth: Record<string, string>;

  constructor(url: string) {
    const { base, headers } = connectEndpoint(url);
    this.baseUrl = base;
    this.auth = headers;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: body === undefined ? this.auth : { ...this.auth, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new EtlError(
        'KAFKA_CONNECT_ERROR',
        `Kafka Connect at ${this.baseUrl} did not answer: ${(err as Error).message}`,
        {
          retriable: true,
          hint: 'start the worker with `retail-etl connect start`',
          cause: err,
        },
      );
    }
    const text = await res.text();
    const json = (text === '' ? undefined : JSON.parse(text)) as T;
    if (res.status >= 400 && res.status !== 404) {
      const detail = json as { error_code?: number; message?: string } | undefined;
      throw new EtlError(
        'KAFKA_CONNECT_ERROR',
        `Kafka Connect refused ${method} ${path}: ${redact(detail?.message ?? text).replace(/\s*\n\s*/g, ' ')}`,
        {
          // 409: a rebalance is under way; 5xx: the worker is busy or still starting.
          retriable: res.status === 409 || res.status >= 500,
          serverCode: `HTTP ${detail?.error_code ?? res.status}`,
        },
      );
    }
    return { status: res.status, json };
  }

  /** Create or update a connector (PUT is idempotent); true when it was created. */
  async putConfig(name: string, config: Record<string, string>): Promise<boolean> {
    const { status } = await this.call('PUT', `/connectors/${encodeURIComponent(name)}/config`, config);
    return status === 201;
  }

  async status(name: string): Promise<ConnectorState | undefined> {
    const { status, json } = await this.call<ConnectorState>(
      'GET',
      `/connectors/${encodeURIComponent(name)}/status`,
    );
    return status === 404 ? undefined : json;
  }

  async list(): Promise<string[]> {
    return (await this.call<string[]>('GET', '/connectors')).json;
  }

  /** Delete a connector; false when there was none. */
  async remove(name: string): Promise<boolean> {
    const { status } = await this.call('DELETE', `/connectors/${encodeURIComponent(name)}`);
    return status !== 404;
  }

  async plugins(): Promise<{ class: string; type: string; version: string }[]> {
    return (await this.call<{ class: string; type: string; version: string }[]>('GET', '/connector-plugins'))
      .json;
  }
}

/** RUNNING with every task RUNNING (and at least one task). */
export function isRunning(state: ConnectorState | undefined): boolean {
  return (
    state !== undefined &&
    state.connector.state === 'RUNNING' &&
    state.tasks.length > 0 &&
    state.tasks.every((t) => t.state === 'RUNNING')
  );
}

/** The first line of a failed task's trace: what a person needs to act. */
export function failureOf(state: ConnectorState | undefined): string | undefined {
  if (!state) return undefined;
  const failed = [state.connector, ...state.tasks].find((s) => s.state === 'FAILED');
  return failed?.trace ? redact(failed.trace.split('\n')[0] ?? '') : undefined;
}
