/**
 * The config mechanism: one schema per component, validated at start-up every time. Resolution order: explicit option,
 * then environment variable, then the documented default (as node-postgres' defaults.js).
 * Unknown keys are rejected with a message naming the key and the allowed ones.
 */
import { EtlError } from '../errors.js';
import { environment } from './environment.js';

interface FieldBase<T> {
  doc: string;
  env?: string;
  default?: T;
  /** Secrets are never echoed back in error messages. */
  secret?: boolean;
  /** No default: start-up fails, naming the variable, when neither the option nor the env sets it. */
  required?: boolean;
}

export interface IntField extends FieldBase<number> {
  type: 'int';
  min?: number;
  max?: number;
}
export interface NumberField extends FieldBase<number> {
  type: 'number';
  min?: number;
  max?: number;
}
export interface StringField extends FieldBase<string> {
  type: 'string';
}
export interface BoolField extends FieldBase<boolean> {
  type: 'bool';
}
export interface EnumField<V extends string = string> extends FieldBase<V> {
  type: 'enum';
  values: readonly V[];
}

export type Field = IntField | NumberField | StringField | BoolField | EnumField;
export type Schema = Record<string, Field>;

type ValueOf<F extends Field> = F extends IntField | NumberField
  ? number
  : F extends BoolField
    ? boolean
    : F extends EnumField<infer V>
      ? V
      : string;

type HasDefault<F> = F extends { default: unknown } ? true : F extends { required: true } ? true : false;

export type ConfigOf<S extends Schema> = {
  [K in keyof S]: HasDefault<S[K]> extends true ? ValueOf<S[K]> : ValueOf<S[K]> | undefined;
};

function fail(component: string, key: string, message: string): never {
  throw new EtlError('CONFIG_INVALID', `${component}: ${key} ${message}`, {
    hint: `see docs/configuration.md#${component}`,
  });
}

function coerce(component: string, key: string, field: Field, raw: unknown, source: string): unknown {
  const shown = field.secret ? '(secret)' : JSON.stringify(raw);
  switch (field.type) {
    case 'int':
    case 'number': {
      const n =
        typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(n) || (field.type === 'int' && !Number.isInteger(n))) {
        fail(
          component,
          key,
          `must be ${field.type === 'int' ? 'an integer' : 'a number'}, got ${shown} (${source})`,
        );
      }
      if (field.min !== undefined && n < field.min)
        fail(component, key, `must be ≥ ${field.min}, got ${n} (${source})`);
      if (field.max !== undefined && n > field.max)
        fail(component, key, `must be ≤ ${field.max}, got ${n} (${source})`);
      return n;
    }
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      return fail(component, key, `must be true or false, got ${shown} (${source})`);
    }
    case 'enum': {
      if (typeof raw === 'string' && field.values.includes(raw)) return raw;
      return fail(component, key, `must be one of ${field.values.join(', ')}; got ${shown} (${source})`);
    }
    case 'string': {
      if (typeof raw === 'string' && raw !== '') return raw;
      return fail(component, key, `must be a non-empty string (${source})`);
    }
  }
}

/**
 * Validate `explicit` against `schema`, filling gaps from `env` and then from defaults.
 * Keys of `explicit` whose value is `undefined` count as not given.
 */
export function resolveConfig<S extends Schema>(
  component: string,
  schema: S,
  explicit: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = environment(),
): ConfigOf<S> {
  for (const key of Object.keys(explicit)) {
    if (!(key in schema)) {
      throw new EtlError('CONFIG_UNKNOWN_KEY', `${component}: unknown config key "${key}"`, {
        hint: `allowed keys: ${Object.keys(schema).join(', ')}`,
      });
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema)) {
    const given = explicit[key];
    const fromEnv = field.env ? env[field.env] : undefined;
    if (given !== undefined) out[key] = coerce(component, key, field, given, 'option');
    else if (fromEnv !== undefined && fromEnv !== '')
      out[key] = coerce(component, key, field, fromEnv, `env ${field.env}`);
    else if (field.required && field.default === undefined)
      fail(component, key, `is not set${field.env && field.env !== key ? ` (env ${field.env})` : ''}`);
    else out[key] = field.default;
  }
  return out as ConfigOf<S>;
}

/** One declared setting on its own (a field shared between schemas, read where it is used). */
export function readSetting<F extends Field>(
  component: string,
  field: F,
  env: NodeJS.ProcessEnv = environment(),
): ConfigOf<{ value: F }>['value'] {
  const key = field.env ?? 'value';
  return (resolveConfig(component, { [key]: field }, {}, env) as Record<string, unknown>)[key] as ConfigOf<{
    value: F;
  }>['value'];
}

/** A component's resolver: `(explicit?, env?) => config`, validated against `schema` each call. */
export function configResolver<S extends Schema>(component: string, schema: S) {
  return (explicit: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = environment()): ConfigOf<S> =>
    resolveConfig(component, schema, explicit, env);
}

/** Markdown table of a schema, used by docs/configuration.md and its drift test. */
export function describeSchema(schema: Schema): string {
  const rows = Object.entries(schema).map(([key, f]) => {
    const type = f.type === 'enum' ? f.values.join(' \\| ') : f.type;
    const def = f.default !== undefined ? `\`${String(f.default)}\`` : f.required ? '**required**' : '—';
    return `| \`${key}\` | ${f.env ? `\`${f.env}\`` : '—'} | ${type} | ${def} | ${f.doc} |`;
  });
  return ['| key | env | type | default | meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}
