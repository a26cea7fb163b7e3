/** Unique names for what a test or benchmark creates (topics, schemas, groups, folders). */
import { randomUUID } from 'node:crypto';

/** A unique, identifier-safe name: `prefix_<12 hex>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}
