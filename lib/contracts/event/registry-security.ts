/**
 * SCHEMA_REGISTRY_CA_FILE and SCHEMA_REGISTRY_USERNAME/PASSWORD(_FILE) → the registry client's
 * `agent` (TLS with the given CA) and `auth` (basic auth). Credentials are never put in the URL,
 * where they would reach logs and error messages.
 */
import { Agent } from 'node:https';
import type { SchemaRegistrySecurityConfig } from '../../config/index.js';
import { readSettingFile, schemaRegistrySecurityConfig, secretFromEnvOrFile } from '../../config/index.js';
import { EtlError } from '../../errors.js';

const COMPONENT = 'kafka-security';

export interface RegistryClientSecurity {
  auth?: { username: string; password: string };
  agent?: Agent;
}

export function registryClientSecurity(
  url: string,
  config: SchemaRegistrySecurityConfig = schemaRegistrySecurityConfig(),
): RegistryClientSecurity {
  const invalid = (message: string): never => {
    throw new EtlError('CONFIG_INVALID', `${COMPONENT}: ${message}`, {
      hint: `see docs/configuration.md#${COMPONENT}`,
    });
  };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return invalid('SCHEMA_REGISTRY_URL is not a URL');
  }
  if (parsed.username !== '' || parsed.password !== '')
    invalid(
      'SCHEMA_REGISTRY_URL carries credentials; use SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD_FILE',
    );
  const out: RegistryClientSecurity = {};
  const password = secretFromEnvOrFile(
    COMPONENT,
    { value: 'SCHEMA_REGISTRY_PASSWORD', file: 'SCHEMA_REGISTRY_PASSWORD_FILE' },
    config.password,
    config.passwordFile,
  );
  if ((config.username === undefined) !== (password === undefined))
    invalid('SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD(_FILE) go together');
  if (config.username !== undefined && password !== undefined) {
    // Basic auth over plain HTTP would hand the password to anyone on the path.
    if (parsed.protocol !== 'https:' && !['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname))
      invalid('basic auth to a registry that is not on this machine needs an https:// SCHEMA_REGISTRY_URL');
    out.auth = { username: config.username, password };
  }
  if (config.caFile !== undefined) {
    if (parsed.protocol !== 'https:')
      invalid('SCHEMA_REGISTRY_CA_FILE is set but SCHEMA_REGISTRY_URL is not https://');
    out.agent = new Agent({
      keepAlive: true,
      ca: [readSettingFile(COMPONENT, 'SCHEMA_REGISTRY_CA_FILE', config.caFile)],
    });
  }
  return out;
}
