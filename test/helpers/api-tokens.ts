/**
 * API tokens for tests: fresh random ones per test file, handed to the servers a test starts (as
 * the environment of a `serve` child, or as the config of an in-process server) and sent by its
 * requests. Tests never depend on the tokens of the running stack's .stack/env.
 */
import type { HttpConfig } from '../../lib/config/index.js';
import { resolveHttpConfig } from '../../lib/config/index.js';
import { generateToken } from '../../lib/http/tokens.js';

export interface ApiTokens {
  ingest: string;
  read: string;
  control: string;
}

export function testTokens(): ApiTokens {
  return { ingest: generateToken(), read: generateToken(), control: generateToken() };
}

/** The environment of a `serve` child that accepts `tokens`. */
export function tokenEnv(tokens: ApiTokens): Record<string, string> {
  return {
    RETAIL_TOKEN_INGEST: tokens.ingest,
    RETAIL_TOKEN_READ: tokens.read,
    RETAIL_TOKEN_CONTROL: tokens.control,
  };
}

/** The HTTP config of an in-process server that accepts `tokens` (other settings: defaults or `over`). */
export function tokenConfig(tokens: ApiTokens, over: Partial<HttpConfig> = {}): HttpConfig {
  return resolveHttpConfig(
    { tokensIngest: tokens.ingest, tokensRead: tokens.read, tokensControl: tokens.control, ...over },
    {},
  );
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
