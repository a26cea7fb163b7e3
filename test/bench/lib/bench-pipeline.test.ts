import { describe, expect, it } from 'vitest';
import { pipelineNames, pipelineOverrides } from '../../../bench/lib/bench-pipeline.js';
import { TOPICS } from '../../../lib/contracts/topics.js';
import { PROCESSOR_SCHEMA } from '../../../processors/runtime/config.js';
import { AGGREGATES_SCHEMA } from '../../../sinks/aggregates/config.js';

describe('a second pipeline (bench, chaos, demo)', () => {
  const { base, schema, topics } = pipelineNames('t');
  const env = pipelineOverrides(base, schema, topics);
  const stackTopics = new Set<string>(Object.values(TOPICS));

  it('overrides every stack topic the processors and the aggregate sinks read or write', () => {
    // Regression: the anomalies topic was missing, so a second pipeline wrote the stack's.
    for (const [key, spec] of Object.entries({ ...PROCESSOR_SCHEMA, ...AGGREGATES_SCHEMA })) {
      const { env: name, default: fallback } = spec as { env?: string; default?: unknown };
      if (name === undefined || typeof fallback !== 'string' || !stackTopics.has(fallback)) continue;
      expect(env[name], `${key} (${name})`).toBe(`${base}.${fallback}`);
    }
  });

  it('gives the anomalies their own topic, as the other aggregates', () => {
    expect(env['PROCESSOR_ANOMALIES_TOPIC']).toBe(topics.salesAnomalies);
    expect(env['SINK_AGGREGATES_ANOMALIES_TOPIC']).toBe(topics.salesAnomalies);
    expect(topics.salesAnomalies).toBe(`${base}.${TOPICS.salesAnomalies}`);
  });
});
