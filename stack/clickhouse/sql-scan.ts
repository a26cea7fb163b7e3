/**
 * Just enough of ClickHouse's lexer to judge a statement for a user's rights (access.ts): the
 * statement's tokens with string literals and comments taken out, cut where an INSERT's inline
 * data starts (`FORMAT <name>` — the data is not SQL and may hold any character), and whether
 * more than one statement was sent (chdb, like clickhouse-local, would run them all).
 */

export type TokenKind = 'word' | 'ident' | 'string' | 'number' | 'punct';

export interface Token {
  kind: TokenKind;
  /** Words as written; quoted identifiers unquoted; strings as `''`. */
  text: string;
  /** A string literal's content, unquoted (a partition id the retention floor judges, access.ts). */
  value?: string;
}

export interface ScannedStatement {
  tokens: Token[];
  /** Tokens after a `;` other than another `;`: a second statement. */
  multiStatement: boolean;
}

const WORD_START = /[A-Za-z_]/;
const WORD = /[A-Za-z0-9_$]/;

/** The end (exclusive) of a quoted run starting at `i` with quote `q`, honouring `\x` and doubled quotes. */
function quotedEnd(sql: string, i: number, q: string): number {
  let j = i + 1;
  while (j < sql.length) {
    const c = sql[j];
    if (c === '\\') j += 2;
    else if (c === q && sql[j + 1] === q) j += 2;
    else if (c === q) return j + 1;
    else j += 1;
  }
  return sql.length;
}

function unquote(raw: string): string {
  const q = raw[0] ?? '';
  return raw
    .slice(1, raw.endsWith(q) && raw.length > 1 ? -1 : undefined)
    .replace(new RegExp(`\\\\(.)|${q}${q}`, 'g'), (m, c: string | undefined) => c ?? (m[0] as string));
}

export function scanStatement(sql: string): ScannedStatement {
  const tokens: Token[] = [];
  let i = 0;
  let insert = false;
  while (i < sql.length) {
    const c = sql[i] as string;
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
    } else if (c === '#' && (sql[i + 1] === ' ' || sql[i + 1] === '!')) {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (c === "'") {
      const end = quotedEnd(sql, i, c);
      tokens.push({ kind: 'string', text: "''", value: unquote(sql.slice(i, end)) });
      i = end;
    } else if (c === '"' || c === '`') {
      const end = quotedEnd(sql, i, c);
      tokens.push({ kind: 'ident', text: unquote(sql.slice(i, end)) });
      i = end;
    } else if (WORD_START.test(c)) {
      let j = i + 1;
      while (j < sql.length && WORD.test(sql[j] as string)) j += 1;
      const text = sql.slice(i, j);
      tokens.push({ kind: 'word', text });
      i = j;
      if (tokens.length === 1 && text.toUpperCase() === 'INSERT') insert = true;
      // INSERT … FORMAT <name>: what follows is the data, not SQL.
      const prev = tokens[tokens.length - 2];
      if (insert && prev?.kind === 'word' && prev.text.toUpperCase() === 'FORMAT') break;
    } else if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < sql.length && /[0-9A-Za-z_.]/.test(sql[j] as string)) j += 1;
      tokens.push({ kind: 'number', text: sql.slice(i, j) });
      i = j;
    } else {
      tokens.push({ kind: 'punct', text: c });
      i += 1;
    }
  }
  const firstSemicolon = tokens.findIndex((t) => t.kind === 'punct' && t.text === ';');
  const multiStatement =
    firstSemicolon >= 0 && tokens.slice(firstSemicolon).some((t) => !(t.kind === 'punct' && t.text === ';'));
  return { tokens, multiStatement };
}

export const isWord = (t: Token | undefined, ...words: string[]): boolean =>
  t?.kind === 'word' && words.includes(t.text.toUpperCase());

export const isPunct = (t: Token | undefined, p: string): boolean => t?.kind === 'punct' && t.text === p;
