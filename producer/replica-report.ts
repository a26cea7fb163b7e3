/**
 * This replica's report on the control topic (`producer/<group>/replica/<id>`): written at start,
 * on every control change and every few seconds, so `producer status` and the control panel see
 * each replica's state; a clean stop writes a tombstone, so a replica that vanished without one
 * shows as stale.
 */
import { hostname } from 'node:os';
import type { Logger } from '../lib/logger.js';
import type { ControlRecord, ReplicaReport } from '../lib/contracts/control.js';

export interface ReplicaView {
  rate: number;
  paused: boolean;
  actualRate: number;
  events: number;
  lastChange: string | undefined;
}

export interface ReplicaReporterOptions {
  replicaId: string;
  maxRate: number;
  startedAt: Date;
  /** The replica's state now; read each time a report is written. */
  view(): ReplicaView;
  /** Write one record (null: tombstone) under this replica's key. */
  publish(record: ControlRecord | null): Promise<void>;
  log: Logger;
  host?: string;
  pid?: number;
  now?: () => Date;
}

export class ReplicaReporter {
  constructor(private readonly options: ReplicaReporterOptions) {}

  report(state?: ReplicaReport['state']): ReplicaReport {
    const o = this.options;
    const v = o.view();
    return {
      v: 1,
      kind: 'replica',
      replica: o.replicaId,
      host: o.host ?? hostname(),
      pid: o.pid ?? process.pid,
      state: state ?? (v.paused ? 'paused' : 'running'),
      rate: v.rate,
      paused: v.paused,
      cap: o.maxRate,
      actualRate: Math.round(v.actualRate * 10) / 10,
      events: v.events,
      startedAt: o.startedAt.toISOString(),
      at: (o.now?.() ?? new Date()).toISOString(),
      ...(v.lastChange === undefined ? {} : { lastChange: v.lastChange }),
    };
  }

  /** Write the report; a failure is logged, never thrown (reports are advisory). */
  async send(state?: ReplicaReport['state']): Promise<void> {
    await this.options
      .publish(this.report(state))
      .catch((err: unknown) => this.options.log.warn('could not write the replica report', { err }));
  }

  /** Remove this replica's report (clean stop). */
  async remove(): Promise<void> {
    await this.options.publish(null).catch(() => undefined);
  }
}
