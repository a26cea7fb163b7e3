/**
 * Steering a bench or chaos pipeline's producer through its control topic, as the CLI and the
 * panel do, and waiting until the producer's own metrics say the new target rate is applied.
 */
import { controlKeys, pausedRecord, rateRecord } from '../../lib/contracts/control.js';
import type { ControlRecord } from '../../lib/contracts/control.js';
import type { Producer } from '../../lib/kafka/index.js';
import { publishControl } from '../../producer/control.js';
import { counter } from './prom-text.js';

export interface ProducerSteering {
  setRate(rate: number): Promise<void>;
  pause(): Promise<void>;
  /** Back to the last rate set (100/s if none was). */
  resume(): Promise<void>;
}

export function producerSteering(opts: {
  control: Producer;
  controlTopic: string;
  /** The pipeline's name prefix: the control keys are per pipeline. */
  base: string;
  actor: string;
  /** The producer's /metrics text. */
  metrics: () => Promise<string>;
  timeoutMs: number;
}): ProducerSteering {
  const keys = controlKeys(opts.base);
  let rate = 100;
  const applied = async (target: number) => {
    const until = Date.now() + opts.timeoutMs;
    while (Date.now() < until) {
      const text = await opts.metrics().catch(() => '');
      if (counter(text, 'retail_producer_target_rate') === target) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`the producer did not apply target rate ${target} within ${opts.timeoutMs / 1000} s`);
  };
  const publish = (key: string, value: ControlRecord) =>
    publishControl(opts.control, opts.controlTopic, key, value);
  return {
    async setRate(r) {
      rate = r;
      await publish(keys.rate, rateRecord(r, opts.actor));
      await applied(r);
    },
    async pause() {
      await publish(keys.paused, pausedRecord(true, opts.actor));
      await applied(0);
    },
    async resume() {
      await publish(keys.paused, pausedRecord(false, opts.actor));
      await applied(rate);
    },
  };
}
