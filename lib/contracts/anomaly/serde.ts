/**
 * Sales anomalies on the wire: the sale event's Confluent-Avro codec (lib/contracts/event/serde.ts:
 * registration with its start-up race handling, writer-schema cache, resolution into the reader's
 * schema) over the anomaly schema and subject.
 */
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { SaleEventSerde } from '../event/serde.js';
import type { SaleEvent } from '../event/schema.js';
import { ANOMALY_SCHEMA, ANOMALY_SUBJECT } from './schema.js';
import type { SalesAnomaly } from './schema.js';

export class AnomalySerde {
  private readonly codec: SaleEventSerde;

  constructor(registry: SchemaRegistry) {
    this.codec = new SaleEventSerde(registry, ANOMALY_SCHEMA, ANOMALY_SUBJECT);
  }

  /** Register (or find) the schema; needed before `encode`. */
  register(): Promise<number> {
    return this.codec.register();
  }

  encode(anomaly: SalesAnomaly): Buffer {
    // The codec is schema-generic; its SaleEvent type is only the default schema's.
    return this.codec.encode(anomaly as unknown as SaleEvent);
  }

  /** Fetch the writer schema of a record's id (the only async step). */
  prepare(schemaId: number): Promise<void> {
    return this.codec.prepare(schemaId);
  }

  /** Decode a record whose schema id was prepared; throws DECODE_FAILED with the reason. */
  decodeSync(buf: Buffer): SalesAnomaly {
    return this.codec.decodeSync(buf) as unknown as SalesAnomaly;
  }
}
