/**
 * Workaround for a busy loop in kafkajs 2.2.4 (tulios/kafkajs#1556, #1704; fix proposed in #1667,
 * not released): RequestQueue.scheduleCheckPendingRequests arms `setTimeout(check, throttledUntil -
 * now)` even when nothing is pending and nothing is throttled — a negative delay, so Node runs it
 * after 1 ms, and the check arms it again: every broker connection of every client wakes the
 * process ~1,000 times a second. Measured on an idle process with an admin, a consumer and a
 * producer: 5.0 % of a core before, 1.1 % after.
 *
 * With nothing pending there is nothing to check: the queue schedules again when a request is
 * pushed (RequestQueue.push) or when it is throttled with requests waiting. Applied once, when
 * lib/kafka is first imported, before any client exists.
 */
import { createRequire } from 'node:module';

interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  scheduleCheckPendingRequests(): void;
}

const PATCHED = Symbol.for('retail-etl.kafkajs.request-queue-fix');

export function applyRequestQueueFix(): void {
  const require = createRequire(import.meta.url);
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
    prototype: RequestQueueInternals & { [PATCHED]?: true };
  };
  const proto = RequestQueue.prototype;
  if (proto[PATCHED]) return;
  const original = proto.scheduleCheckPendingRequests;
  proto.scheduleCheckPendingRequests = function (this: RequestQueueInternals) {
    if (this.pending.length === 0 && this.throttledUntil <= Date.now()) return;
    original.call(this);
  };
  proto[PATCHED] = true;
}
