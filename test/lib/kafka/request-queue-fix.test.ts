import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { applyRequestQueueFix } from '../../../lib/kafka/request-queue-fix.js';

interface Queue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  scheduleCheckPendingRequests(): void;
}

const RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as new (
  o: Record<string, unknown>,
) => Queue;

function queue(): Queue {
  const logger = {
    debug: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    info: () => undefined,
  };
  return new RequestQueue({
    maxInFlightRequests: 1,
    requestTimeout: 30_000,
    enforceRequestTimeout: true,
    clientId: 'test',
    broker: 'nowhere:9092',
    logger,
  });
}

describe('kafkajs RequestQueue busy-loop workaround', () => {
  it('schedules no check when nothing is pending and nothing is throttled; still does when requests wait', () => {
    applyRequestQueueFix();
    applyRequestQueueFix(); // idempotent
    const idle = queue();
    idle.scheduleCheckPendingRequests();
    expect(idle.throttleCheckTimeoutId).toBeNull();

    const throttled = queue();
    throttled.pending.push({});
    throttled.throttledUntil = Date.now() + 60_000;
    throttled.scheduleCheckPendingRequests();
    expect(throttled.throttleCheckTimeoutId).not.toBeNull();
    clearTimeout(throttled.throttleCheckTimeoutId as NodeJS.Timeout);
  });
});
