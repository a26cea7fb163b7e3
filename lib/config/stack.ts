/**
 * Variables the stack launcher (stack/) reads. The launcher runs before any component and reads
 * them itself; they are declared here so docs/configuration.md lists them with everything else.
 */
import type { Schema } from './schema.js';

export const STACK_SCHEMA = {
  stackDir: {
    type: 'string',
    env: 'RETAIL_ETL_STACK_DIR',
    doc: 'where the stack keeps its servers’ data, logs and the generated env file (default `.stack/` in the project)',
  },
  mode: {
    type: 'enum',
    values: ['auto', 'native', 'docker'] as const,
    env: 'STACK_MODE',
    default: 'auto',
    doc: 'servers as local processes (native) or containers (docker); auto: the running stack’s mode, else docker when its engine answers, else native',
  },
} as const satisfies Schema;
