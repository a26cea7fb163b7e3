import { describe, expect, it } from 'vitest';
import { DEFAULT_TOPIC_SPECS, TOPICS } from '../../lib/contracts/topics.js';
import { ownTopicSpecs, topicSpecs } from '../../producer/topics.js';

describe('topicSpecs', () => {
  it('with the default topics, creates just the pipeline’s topics', () => {
    expect(topicSpecs({ topic: TOPICS.sales, controlTopic: TOPICS.control })).toEqual(DEFAULT_TOPIC_SPECS);
  });

  it('adds a topic of its own (6 partitions) and a compacted one-partition control topic', () => {
    const specs = topicSpecs({ topic: 'mine', controlTopic: 'mine-control' });
    expect(specs.slice(0, DEFAULT_TOPIC_SPECS.length)).toEqual(DEFAULT_TOPIC_SPECS);
    expect(specs.slice(DEFAULT_TOPIC_SPECS.length)).toEqual([
      { topic: 'mine', numPartitions: 6 },
      { topic: 'mine-control', numPartitions: 1, compacted: true },
    ]);
  });

  it('does not change the shared list', () => {
    const before = DEFAULT_TOPIC_SPECS.length;
    topicSpecs({ topic: 'other', controlTopic: 'other-control' });
    expect(DEFAULT_TOPIC_SPECS).toHaveLength(before);
  });
  it('its own topics (the ones it must create on a secured broker): its topic and its control topic', () => {
    expect(ownTopicSpecs({ topic: TOPICS.sales, controlTopic: TOPICS.control })).toEqual([
      { topic: TOPICS.sales, numPartitions: 6 },
      { topic: TOPICS.control, numPartitions: 1, compacted: true },
    ]);
  });
});
