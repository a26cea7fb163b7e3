/**
 * Files named by settings (…_FILE, …_CA_FILE): read once where a client is made, so a missing or
 * unreadable file stops the process with the variable's name — never the file's contents.
 */
import { readFileSync } from 'node:fs';
import { EtlError } from '../errors.js';

export function readSettingFile(component: string, variable: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new EtlError(
      'CONFIG_INVALID',
      `${component}: ${variable} names ${path}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      { hint: `see docs/configuration.md#${component}`, cause: err },
    );
  }
}

/** A secret held in a file: its first line, without the newline editors and `echo` add. */
export function readSecretFile(component: string, variable: string, path: string): string {
  const value = readSettingFile(component, variable, path).split(/\r?\n/)[0] ?? '';
  if (value === '') {
    throw new EtlError('CONFIG_INVALID', `${component}: ${variable} names ${path}, which is empty`, {
      hint: `see docs/configuration.md#${component}`,
    });
  }
  return value;
}

/** One value from either the variable or its …_FILE twin; both set is a mistake worth stopping on. */
export function secretFromEnvOrFile(
  component: string,
  names: { value: string; file: string },
  value: string | undefined,
  file: string | undefined,
): string | undefined {
  if (value !== undefined && file !== undefined) {
    throw new EtlError('CONFIG_INVALID', `${component}: set ${names.value} or ${names.file}, not both`, {
      hint: `see docs/configuration.md#${component}`,
    });
  }
  return file !== undefined ? readSecretFile(component, names.file, file) : value;
}
