/**
 * The kafkajs types and constants the stages use, re-exported so that this folder stays the only
 * importer of kafkajs (an eslint rule keeps it so).
 */
export type {
  Admin,
  Consumer,
  ConsumerConfig,
  EachBatchPayload,
  IHeaders,
  Kafka,
  KafkaConfig,
  KafkaMessage,
  Message,
  PartitionAssigner,
  Producer,
  ProducerConfig,
} from 'kafkajs';
export { AssignerProtocol, CompressionTypes, Partitioners } from 'kafkajs';
