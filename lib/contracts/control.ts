/**
 * Control records on the compacted `retail.control` topic. Keys (last write wins per key):
 *
 *   producer/<group>/rate              {"kind":"rate","rate":500,"actor","at","host"}
 *   producer/<group>/paused            {"kind":"paused","paused":true,"actor","at","host"}
 *   producer/<group>/anomaly           {"kind":"anomaly","store","factor","from","until","actor","at","host"}
 *   producer/<group>/replica/<replica> a replica's report (state, applied rate, actual rate…)
 *
 * The desired state is two keys so `rate` and `pause` never overwrite each other. The producer
 * follows them; the CLI and the control panel write them and read the replicas' reports.
 */
import { hostname } from 'node:os';

export interface RateRecord {
  v: 1;
  kind: 'rate';
  rate: number;
  actor: string;
  at: string;
  host: string;
}

export interface PausedRecord {
  v: 1;
  kind: 'paused';
  paused: boolean;
  actor: string;
  at: string;
  host: string;
}

/** One store's sales multiplied by `factor` for event times in [from, until) (ISO times). */
export interface AnomalyRecord {
  v: 1;
  kind: 'anomaly';
  store: string;
  factor: number;
  from: string;
  until: string;
  actor: string;
  at: string;
  host: string;
}

export interface ReplicaReport {
  v: 1;
  kind: 'replica';
  replica: string;
  host: string;
  pid: number;
  state: 'running' | 'paused' | 'stopped';
  rate: number;
  paused: boolean;
  cap: number;
  actualRate: number;
  events: number;
  startedAt: string;
  at: string;
  /** The last control change this replica applied or refused, in words. */
  lastChange?: string;
}

export type ControlRecord = RateRecord | PausedRecord | AnomalyRecord | ReplicaReport;

export const controlKeys = (group: string) => ({
  rate: `producer/${group}/rate`,
  paused: `producer/${group}/paused`,
  anomaly: `producer/${group}/anomaly`,
  replica: (id: string) => `producer/${group}/replica/${id}`,
  replicaPrefix: `producer/${group}/replica/`,
});

export function parseControl(value: Buffer | null): ControlRecord | undefined {
  if (value === null) return undefined;
  try {
    const r = JSON.parse(value.toString('utf8')) as Partial<ControlRecord>;
    if (r.v !== 1) return undefined;
    if (r.kind === 'rate' && typeof r.rate === 'number' && Number.isFinite(r.rate)) return r as RateRecord;
    if (r.kind === 'paused' && typeof r.paused === 'boolean') return r as PausedRecord;
    if (r.kind === 'replica' && typeof r.replica === 'string') return r as ReplicaReport;
    if (
      r.kind === 'anomaly' &&
      typeof r.store === 'string' &&
      typeof r.factor === 'number' &&
      Number.isFinite(Date.parse(String(r.from))) &&
      Number.isFinite(Date.parse(String(r.until)))
    )
      return r as AnomalyRecord;
  } catch {
    /* not ours */
  }
  return undefined;
}

export function rateRecord(rate: number, actor: string): RateRecord {
  return { v: 1, kind: 'rate', rate, actor, at: new Date().toISOString(), host: hostname() };
}

export function pausedRecord(paused: boolean, actor: string): PausedRecord {
  return { v: 1, kind: 'paused', paused, actor, at: new Date().toISOString(), host: hostname() };
}

export function anomalyRecord(
  a: { store: string; factor: number; from: number; until: number },
  actor: string,
): AnomalyRecord {
  return {
    v: 1,
    kind: 'anomaly',
    store: a.store,
    factor: a.factor,
    from: new Date(a.from).toISOString(),
    until: new Date(a.until).toISOString(),
    actor,
    at: new Date().toISOString(),
    host: hostname(),
  };
}

export interface ControlState {
  rate: RateRecord | undefined;
  paused: PausedRecord | undefined;
  anomaly?: AnomalyRecord | undefined;
  replicas: Map<string, ReplicaReport>;
}

/** Fold one control record into a state; unparseable values and tombstones are handled. */
export function applyRecord(state: ControlState, group: string, key: string, value: Buffer | null): boolean {
  const keys = controlKeys(group);
  if (key === keys.anomaly) {
    const record = parseControl(value);
    state.anomaly = record?.kind === 'anomaly' ? record : undefined;
    return true;
  }
  if (key === keys.rate || key === keys.paused) {
    const record = parseControl(value);
    if (key === keys.rate) state.rate = record?.kind === 'rate' ? record : undefined;
    else state.paused = record?.kind === 'paused' ? record : undefined;
    return true;
  }
  if (key.startsWith(keys.replicaPrefix)) {
    const id = key.slice(keys.replicaPrefix.length);
    const record = parseControl(value);
    if (record?.kind === 'replica') state.replicas.set(id, record);
    else state.replicas.delete(id);
  }
  return false;
}
