/** A dead letter of topic-partition at offset, for the buffer and flush unit tests. */
import type { DeadLetter } from '../../../lib/contracts/dlq.js';

export const deadLetter = (topic: string, partition: number, offset: number): DeadLetter => ({
  topic,
  partition,
  offset,
  timestamp: 0,
  key: null,
  value: null,
  headers: {},
  reason: 'invalid_event',
  detail: 'test',
});
