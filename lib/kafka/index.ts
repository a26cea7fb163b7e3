/**
 * The one Kafka module: client creation, error mapping, topic creation, read-to-end and consumer
 * lag. Nothing outside this folder imports kafkajs, so the client can be measured or swapped here.
 */
export * from './acls.js';
export * from './client.js';
export * from './coordinator.js';
export * from './errors.js';
export * from './lag.js';
export * from './partition-reader.js';
export * from './read-to-end.js';
export * from './security.js';
export * from './topics.js';
export * from './topic-layout.js';
export * from './types.js';
export * from './refusal.js';
