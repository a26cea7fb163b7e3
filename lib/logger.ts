/**
 * Structured JSON logs, one object per line on stderr: level, time, component, message and
 * correlation fields. Every string passes through `redact` so secrets never reach a log.
 */
import { LOG_LEVELS, sharedSetting } from './config/index.js';
import { redact } from './redact.js';

export { LOG_LEVELS };
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  write?: (line: string) => void;
}

export function createLogger(component: string, options: LoggerOptions = {}, base: LogFields = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level ?? sharedSetting('logLevel'));
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const emit = (level: LogLevel, msg: string, fields: LogFields = {}): void => {
    if (LOG_LEVELS.indexOf(level) < threshold) return;
    const record = { level, time: new Date().toISOString(), component, msg, ...base, ...fields };
    write(redact(JSON.stringify(record, errorReplacer)));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(component, options, { ...base, ...fields }),
  };
}

/** Field names whose values are secrets whatever they hold (`redact` only sees `key=value` and URLs). */
const SECRET_KEY =
  /^(password|passwd|pass|secret|token|api[_-]?key|authorization|cookie)$|(password|secret|token|api[_-]?key)$/i;

function errorReplacer(key: string, value: unknown): unknown {
  if (key !== '' && SECRET_KEY.test(key) && value !== null && typeof value !== 'object') return '***';
  if (value instanceof Error) {
    const withCode = value as Error & { code?: unknown; serverCode?: unknown; retriable?: unknown };
    return {
      name: value.name,
      message: value.message,
      code: withCode.code,
      serverCode: withCode.serverCode,
      retriable: withCode.retriable,
    };
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}
