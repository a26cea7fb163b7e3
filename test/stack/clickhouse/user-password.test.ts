/**
 * The native ClickHouse's ALTER USER … [ADD] IDENTIFIED BY (stack/clickhouse/user-password.ts): the
 * forms `secrets rotate` sends are understood with their quoting, every other ALTER USER is a clear
 * syntax error rather than a silent no-op, an unknown user is 192 UNKNOWN_USER, and only the
 * owner may run it (access.ts: a sink gets 497 naming the ALTER USER grant, the reader 164).
 */
import { describe, expect, it } from 'vitest';
import type { ClickhouseUser } from '../../../stack/clickhouse/access.js';
import { authenticate, refusal } from '../../../stack/clickhouse/access.js';
import { EngineError } from '../../../stack/clickhouse/engine.js';
import { applyPasswordChange, parsePasswordChange } from '../../../stack/clickhouse/user-password.js';

const users = (): ClickhouseUser[] => [
  { name: 'default', password: 'o', role: 'owner' },
  { name: 'retail_sink', password: 's', role: 'sink' },
  { name: 'retail_reader', password: 'r', role: 'reader' },
];
const floor = { minDays: 7 };

describe('ALTER USER … IDENTIFIED BY on the native ClickHouse', () => {
  it('reads the user and the password of every accepted spelling', () => {
    for (const [sql, user, password] of [
      ["ALTER USER retail_sink IDENTIFIED BY 'n1'", 'retail_sink', 'n1'],
      ["alter user `retail_sink` identified with sha256_password by 'n2';", 'retail_sink', 'n2'],
      ["ALTER USER IF EXISTS \"default\" IDENTIFIED WITH plaintext_password BY 'it''s'", 'default', "it's"],
      ["ALTER USER retail_sink IDENTIFIED BY 'a\\'b'", 'retail_sink', "a'b"],
    ] as const)
      expect(parsePasswordChange(sql), sql).toEqual({ user, password, add: false });
    expect(parsePasswordChange("ALTER USER retail_sink ADD IDENTIFIED WITH sha256_password BY 'n3'")).toEqual(
      {
        user: 'retail_sink',
        password: 'n3',
        add: true,
      },
    );
  });

  it('leaves every other statement alone, and refuses ALTER USER forms it cannot run', () => {
    expect(parsePasswordChange('SELECT 1')).toBeUndefined();
    expect(parsePasswordChange("ALTER TABLE sales_raw DELETE WHERE note = 'ALTER USER'")).toBeUndefined();
    for (const sql of [
      'ALTER USER retail_sink RENAME TO x',
      "ALTER USER retail_sink IDENTIFIED WITH ldap SERVER 'x'",
      'ALTER USER retail_sink IDENTIFIED BY x',
      "ALTER USER retail_sink IDENTIFIED BY ''",
      "ALTER USER retail_sink IDENTIFIED BY 'a' HOST ANY",
      "ALTER USER retail_sink IDENTIFIED BY 'a'; DROP TABLE t",
      "ALTER USER IDENTIFIED BY 'a'",
    ]) {
      const r = parsePasswordChange(sql);
      expect(r, sql).toBeInstanceOf(EngineError);
      expect((r as EngineError).exceptionCode, sql).toBe(62);
    }
  });

  it('ADD IDENTIFIED accepts old and new; IDENTIFIED alone leaves only the new (old: 516); unknown user: 192', () => {
    const store = users();
    const logsIn = (password: string) =>
      !(authenticate(store, { user: 'retail_sink', password }) instanceof EngineError);
    expect(applyPasswordChange(store, { user: 'retail_sink', password: 'new', add: true })).toBeUndefined();
    expect([logsIn('s'), logsIn('new'), logsIn('other')]).toEqual([true, true, false]);
    expect(applyPasswordChange(store, { user: 'retail_sink', password: 'new', add: false })).toBeUndefined();
    expect([logsIn('s'), logsIn('new')]).toEqual([false, true]);
    const old = authenticate(store, { user: 'retail_sink', password: 's' });
    expect((old as EngineError).exceptionCode).toBe(516);
    expect(applyPasswordChange(store, { user: 'nobody', password: 'x', add: false })?.exceptionCode).toBe(
      192,
    );
  });

  it('is the owner’s only', () => {
    const [owner, sink, reader] = users() as [ClickhouseUser, ClickhouseUser, ClickhouseUser];
    const q = (sql: string) => ({ sql, settings: {}, database: 'default' });
    const sql = "ALTER USER retail_sink IDENTIFIED BY 'x'";
    expect(refusal(owner, q(sql), floor)).toBeUndefined();
    const denied = refusal(sink, q(sql), floor);
    expect(denied?.exceptionCode).toBe(497);
    expect(denied?.message).toContain('the grant ALTER USER ON *.*');
    expect(refusal(reader, q(sql), floor)?.exceptionCode).toBe(164);
  });
});
