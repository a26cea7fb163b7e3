/**
 * The late-record format on `retail.sales.late` (docs/processors.md#late-records): an event that
 * arrived after every window it belongs to had closed. Key and value are the original bytes; the
 * original headers are kept and these say which processor found it late, why, and where from.
 */
import type { IHeaders } from '../kafka/index.js';

export const LATE_HEADERS = {
  processor: 'late.processor',
  watermark: 'late.watermark',
  windowClosedAt: 'late.window_closed_at',
  topic: 'late.source.topic',
  partition: 'late.source.partition',
  offset: 'late.source.offset',
} as const;

export interface LateRecord {
  processor: string;
  topic: string;
  partition: number;
  offset: number;
  /** The watermark (epoch ms) that made the event late. */
  watermark: number;
  /** When the first window containing the event closed (epoch ms). */
  closesAt: number;
}

export function lateHeaders(original: IHeaders | undefined, l: LateRecord): IHeaders {
  return {
    ...(original ?? {}),
    [LATE_HEADERS.processor]: l.processor,
    [LATE_HEADERS.watermark]: String(l.watermark),
    [LATE_HEADERS.windowClosedAt]: String(l.closesAt),
    [LATE_HEADERS.topic]: l.topic,
    [LATE_HEADERS.partition]: String(l.partition),
    [LATE_HEADERS.offset]: String(l.offset),
  };
}
