/**
 * `ALTER USER <name> [ADD] IDENTIFIED [WITH plaintext_password | sha256_password] BY '<password>'`
 * on the native ClickHouse server: how `retail-etl secrets rotate` changes a user's password
 * without a restart and without refusing a request in flight (stack/secrets-rotate.ts). As in
 * clickhouse-server (24.9+, several authentication methods per user), `ADD IDENTIFIED` adds a
 * password beside the current ones — old and new both log in while the process using the user
 * restarts with the new one — and `IDENTIFIED` alone replaces them all with one. The owner
 * only (access.ts refuses it to everyone else). The server's users come from its environment at
 * start, so the change lives until the server restarts; the stack saves the new password to
 * `.stack/secrets.env` first, so a restarted server reads the same one.
 *
 * clickhouse-server keeps users defined in users.xml read-only (Compose: docs/security.md says how
 * its passwords change); this server's users are an in-memory store seeded from its environment.
 */
import { EngineError } from './engine.js';
import type { ClickhouseUser } from './access.js';
import { isPunct, isWord, scanStatement } from './sql-scan.js';

export interface PasswordChange {
  user: string;
  password: string;
  /** ADD IDENTIFIED: accepted beside the current password(s); else it replaces them. */
  add: boolean;
}

const syntax = (detail: string) =>
  new EngineError(`Code: 62. DB::Exception: Syntax error: ${detail}. (SYNTAX_ERROR)`, 62);

/**
 * The password change `sql` asks for, undefined if it is not an ALTER USER, or a syntax error for
 * an ALTER USER this server cannot run (anything but a new password for one user).
 */
export function parsePasswordChange(sql: string): PasswordChange | EngineError | undefined {
  const { tokens, multiStatement } = scanStatement(sql);
  if (!isWord(tokens[0], 'ALTER') || !isWord(tokens[1], 'USER')) return undefined;
  if (multiStatement) return syntax('one statement per request');
  let at = 2;
  if (isWord(tokens[at], 'IF') && isWord(tokens[at + 1], 'EXISTS')) at += 2;
  const name = tokens[at];
  if (!name || (name.kind !== 'word' && name.kind !== 'ident')) return syntax('ALTER USER needs a user name');
  at += 1;
  const add = isWord(tokens[at], 'ADD');
  if (add) at += 1;
  if (!isWord(tokens[at], 'IDENTIFIED'))
    return syntax('this server runs only ALTER USER … IDENTIFIED BY (a new password)');
  at += 1;
  if (isWord(tokens[at], 'WITH')) {
    if (!isWord(tokens[at + 1], 'PLAINTEXT_PASSWORD', 'SHA256_PASSWORD'))
      return syntax(`authentication type ${tokens[at + 1]?.text ?? '(none)'} is not supported here`);
    at += 2;
  }
  const password = tokens[at + 1];
  if (!isWord(tokens[at], 'BY') || password?.kind !== 'string' || password.value === undefined)
    return syntax("expected BY '<password>'");
  const rest = tokens.slice(at + 2).filter((t) => !isPunct(t, ';'));
  if (rest.length > 0) return syntax(`unexpected ${rest[0]?.text ?? ''} after the password`);
  if (password.value === '') return syntax('an empty password is not allowed');
  return { user: name.text, password: password.value, add };
}

/** Apply `change` to `users` (the server's own store), or clickhouse-server's 192 UNKNOWN_USER. */
export function applyPasswordChange(
  users: ClickhouseUser[],
  change: PasswordChange,
): EngineError | undefined {
  const user = users.find((u) => u.name === change.user);
  if (!user)
    return new EngineError(
      `Code: 192. DB::Exception: There is no user \`${change.user}\` in users. (UNKNOWN_USER)`,
      192,
    );
  if (change.add) user.added = [...(user.added ?? []), change.password];
  else {
    user.password = change.password;
    delete user.added;
  }
  return undefined;
}
