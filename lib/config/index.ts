/**
 * The one config mechanism: schemas validated at start-up (schema.ts), field definitions that
 * several components share (fields.ts), the settings every process reads (shared.ts), and the one
 * accessor of the environment (environment.ts). docs/configuration.md is generated from these.
 */
export * from './environment.js';
export * from './fields.js';
export * from './schema.js';
export * from './shared.js';
export * from './stack.js';
export * from './bench.js';
export * from './http.js';
export * from './kafka-security.js';
export * from './secret-file.js';
export * from './supervisor.js';
export * from './postgres-tls.js';
export * from './demo.js';
