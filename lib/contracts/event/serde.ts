/**
 * Sale events on the wire: Confluent framing (magic byte 0, 4-byte schema id, Avro body) with the
 * schema registered through @kafkajs/confluent-schema-registry. Encoding and decoding run
 * synchronously on cached avsc types — a promise per record costs too much at 50k events/s —
 * and a record written with a newer schema is read through a resolver into the reader's schema.
 */
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { setTimeout as sleep } from 'node:timers/promises';
import { sharedSetting } from '../../config/index.js';
import { EtlError } from '../../errors.js';
import { registryClientSecurity } from './registry-security.js';
import { SALE_EVENT_SCHEMA, SALE_EVENT_SUBJECT } from './schema.js';
import type { SaleEvent } from './schema.js';

const MAGIC = 0;
const HEADER = 5;

export function createRegistry(url = sharedSetting('schemaRegistryUrl')): SchemaRegistry {
  return new SchemaRegistry({
    host: url,
    ...registryClientSecurity(url),
    retry: { retries: 5, initialRetryTimeInSecs: 0.2 },
  });
}

/** Schema id of a Confluent-framed record, or undefined if the framing is wrong. */
export function schemaIdOf(buf: Buffer): number | undefined {
  if (buf.length < HEADER || buf[0] !== MAGIC) return undefined;
  return buf.readInt32BE(1);
}

export class SaleEventSerde {
  private writerId: number | undefined;
  private readonly readerType: avro.Type;
  private readonly resolvers = new Map<number, avro.Type | avro.Resolver>();

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly schema: object = SALE_EVENT_SCHEMA,
    private readonly subject: string = SALE_EVENT_SUBJECT,
  ) {
    this.readerType = avro.Type.forSchema(schema as avro.Schema);
  }

  /** Register (or find) the schema under the subject; needed before `encode`. */
  async register(): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { id } = await this.registry.register(
          { type: SchemaType.AVRO, schema: JSON.stringify(this.schema) },
          { subject: this.subject },
        );
        this.writerId = id;
        this.resolvers.set(id, this.readerType);
        return id;
      } catch (err) {
        if (isIncompatible(err)) {
          throw new EtlError(
            'SCHEMA_INCOMPATIBLE',
            `the registry refused the sale event schema for ${this.subject}: ${(err as Error).message}`,
            {
              retriable: false,
              serverCode: 'HTTP 409',
              hint: 'a new schema version may only add fields with a default (docs/events.md, "Evolution rule")',
              cause: err,
            },
          );
        }
        // Processes registering a new subject at the same moment race on its compatibility rule:
        // each sets it after registering, so a second one gets 409 "rule already exists" from
        // Apicurio, or reads the rule before the first has set it (the library's compatibility
        // mismatch error). Trying again a moment later finds the rule set. Seen in CI on a fresh
        // registry when the pipeline's processes start side by side; a subject whose rule really
        // differs still fails after the last attempt.
        const racing =
          (err as { status?: number }).status === 409 ||
          (err as Error).name === 'ConfluentSchemaRegistryCompatibilityError';
        if (racing && attempt < 10) {
          await sleep(50 * attempt);
          continue;
        }
        throw registryError('could not register the sale event schema', err);
      }
    }
  }

  get schemaId(): number | undefined {
    return this.writerId;
  }

  encode(event: SaleEvent): Buffer {
    if (this.writerId === undefined) throw new Error('SaleEventSerde.encode before register()');
    const body = this.readerType.toBuffer(event);
    const out = Buffer.allocUnsafe(HEADER + body.length);
    out[0] = MAGIC;
    out.writeInt32BE(this.writerId, 1);
    body.copy(out, HEADER);
    return out;
  }

  /** Fetch and cache the writer schema of a record (the only async step of decoding). */
  async prepare(schemaId: number): Promise<void> {
    if (this.resolvers.has(schemaId)) return;
    let writer: avro.Type;
    try {
      const schema = await this.registry.getSchema(schemaId);
      writer = avro.Type.forSchema(JSON.parse(JSON.stringify(schema)) as avro.Schema);
    } catch (err) {
      throw registryError(`unknown schema id ${schemaId}`, err, 'DECODE_FAILED');
    }
    this.resolvers.set(
      schemaId,
      writer.equals(this.readerType) ? this.readerType : this.readerType.createResolver(writer),
    );
  }

  /** Decode a record whose schema id was prepared; throws DECODE_FAILED with the reason. */
  decodeSync(buf: Buffer): SaleEvent {
    const id = schemaIdOf(buf);
    if (id === undefined)
      throw new EtlError('DECODE_FAILED', 'not Confluent Avro framing (magic byte 0 + schema id)');
    const resolver = this.resolvers.get(id);
    if (resolver === undefined) throw new EtlError('DECODE_FAILED', `schema id ${id} not prepared`);
    try {
      const body = buf.subarray(HEADER);
      return (
        resolver === this.readerType
          ? this.readerType.fromBuffer(body)
          : this.readerType.fromBuffer(body, resolver as avro.Resolver)
      ) as SaleEvent;
    } catch (err) {
      throw new EtlError(
        'DECODE_FAILED',
        `Avro body does not match schema ${id}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  async decode(buf: Buffer): Promise<SaleEvent> {
    const id = schemaIdOf(buf);
    if (id !== undefined) await this.prepare(id);
    return this.decodeSync(buf);
  }
}

/**
 * A 409 that is a compatibility verdict, not the start-up race below: the registry compared the
 * schema with the subject's versions and found a difference (Apicurio: RuleViolationException
 * "Incompatible artifact …"; Confluent: "Schema being registered is incompatible …").
 */
function isIncompatible(err: unknown): boolean {
  return (
    (err as { status?: number }).status === 409 &&
    /incompatib|RuleViolation|not compatible/i.test((err as Error).message ?? '')
  );
}

function registryError(
  message: string,
  err: unknown,
  code: 'SCHEMA_REGISTRY_ERROR' | 'DECODE_FAILED' = 'SCHEMA_REGISTRY_ERROR',
): EtlError {
  const status = (err as { status?: number }).status;
  return new EtlError(code, `${message}: ${(err as Error).message}`, {
    retriable: code === 'SCHEMA_REGISTRY_ERROR' || status === undefined || status >= 500,
    serverCode: status === undefined ? undefined : `HTTP ${status}`,
    cause: err,
  });
}
