/**
 * API tokens: one or two per scope (rotation), kept only as SHA-256 hashes and compared in constant
 * time. A token is 32 random bytes, base64url (`make up` generates one per scope into .stack/env);
 * the configuration may hold the token itself or `sha256:<hex>` of it, so a server need never see
 * the plaintext. An identity is `<scope>:<first 8 hex of the hash>`: it tells the two tokens of a
 * rotation apart in the audit log without revealing anything usable.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { EtlError } from '../errors.js';
import type { HttpConfig, TokenScope } from '../config/index.js';
import { MAX_TOKENS_PER_SCOPE, TOKEN_SCOPES } from '../config/index.js';

export interface Identity {
  scope: TokenScope;
  /** `<scope>:<fingerprint>`: what the audit log records. */
  name: string;
}

interface Entry {
  hash: Buffer;
  identity: Identity;
}

const HASHED = /^sha256:([0-9a-f]{64})$/i;
const MIN_TOKEN_LENGTH = 32;

/** A new token: 32 random bytes as base64url (43 characters). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

type TokenFields = Pick<HttpConfig, 'tokensIngest' | 'tokensRead' | 'tokensControl' | 'tokensMetrics'>;

const FIELD_OF: Record<TokenScope, keyof TokenFields> = {
  ingest: 'tokensIngest',
  read: 'tokensRead',
  control: 'tokensControl',
  metrics: 'tokensMetrics',
};

function parseList(scope: TokenScope, list: string): Entry[] {
  const items = list
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const env = `RETAIL_TOKEN_${scope.toUpperCase()}`;
  if (items.length > MAX_TOKENS_PER_SCOPE) {
    throw new EtlError(
      'CONFIG_INVALID',
      `http: ${env} holds ${items.length} tokens; at most ${MAX_TOKENS_PER_SCOPE} (the current one and the next)`,
      { hint: 'see docs/security.md#rotating-a-token' },
    );
  }
  return items.map((item) => {
    const hashed = HASHED.exec(item);
    if (!hashed && item.length < MIN_TOKEN_LENGTH) {
      throw new EtlError(
        'CONFIG_INVALID',
        `http: ${env} holds a token shorter than ${MIN_TOKEN_LENGTH} characters (secret, not shown)`,
        {
          hint: "generate one: node -e \"console.log(require('crypto').randomBytes(32).toString('base64url'))\"",
        },
      );
    }
    const hash = hashed ? Buffer.from(hashed[1] ?? '', 'hex') : hashToken(item);
    return { hash, identity: { scope, name: `${scope}:${hash.toString('hex').slice(0, 8)}` } };
  });
}

export class TokenStore {
  private readonly entries: Entry[];

  constructor(config: TokenFields) {
    this.entries = TOKEN_SCOPES.flatMap((scope) => {
      const list = config[FIELD_OF[scope]];
      return typeof list === 'string' ? parseList(scope, list) : [];
    });
  }

  /** Scopes with at least one token configured. */
  configured(scope: TokenScope): boolean {
    return this.entries.some((e) => e.identity.scope === scope);
  }

  /** The identity a presented token belongs to, or undefined. Every entry is compared (no early exit). */
  verify(token: string): Identity | undefined {
    const hash = hashToken(token);
    let found: Identity | undefined;
    for (const e of this.entries) if (timingSafeEqual(e.hash, hash) && !found) found = e.identity;
    return found;
  }
}

/** The token of an `Authorization: Bearer …` header; undefined when there is none (or another scheme). */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header ?? '');
  return m?.[1];
}
