/**
 * An anomaly injected on demand (docs/anomalies.md, "Injecting one"): one store's sales multiplied
 * by `factor` for event times in `[from, until)` — above 1 every line's quantity is multiplied
 * (revenue and units follow), below 1 each basket of the store is kept with probability `factor`
 * (0 = the store sells nothing). Set by `retail-etl producer anomaly` through the control topic, or
 * by a test on the generator directly.
 */
import { EtlError } from '../lib/errors.js';

export interface AnomalyInjection {
  store: string;
  factor: number;
  /** event time, epoch ms, inclusive */
  from: number;
  /** event time, epoch ms, exclusive */
  until: number;
}

/** The event contract's bound on one line's quantity (docs/events.md). */
const MAX_QUANTITY = 10_000;

export function injects(inj: AnomalyInjection | undefined, store: string, eventTime: number): boolean {
  return inj !== undefined && inj.store === store && eventTime >= inj.from && eventTime < inj.until;
}

/** A line's quantity under a factor above 1 (sign kept, within the contract's bound). */
export function scaleQuantity(qty: number, factor: number): number {
  const scaled = Math.min(MAX_QUANTITY, Math.max(1, Math.round(Math.abs(qty) * factor)));
  return qty < 0 ? -scaled : scaled;
}

export function checkInjection(inj: AnomalyInjection): AnomalyInjection {
  if (inj.store === '') throw new EtlError('INVALID_ARGUMENT', 'anomaly: a store id is required');
  if (!(Number.isFinite(inj.factor) && inj.factor >= 0 && inj.factor <= 1000))
    throw new EtlError('INVALID_ARGUMENT', `anomaly: factor must be within 0..1000, got ${inj.factor}`);
  if (!(inj.until > inj.from))
    throw new EtlError('INVALID_ARGUMENT', 'anomaly: the window must end after it starts');
  return inj;
}
