/** Settings of `retail-etl backup create|restore` (docs/configuration.md#backup). */
import type { Schema } from '../../lib/config/index.js';
import { DATABASE_URL_REQUIRED } from '../../lib/config/index.js';

export const BACKUP_SCHEMA = {
  databaseUrl: {
    ...DATABASE_URL_REQUIRED,
    doc: 'the database backed up, and the login a restore runs as: the owner’s (migrator’s) URL, not a runtime role’s',
  },
  adminUrl: {
    type: 'string',
    env: 'DATABASE_ADMIN_URL',
    secret: true,
    doc: 'a login allowed to CREATE DATABASE, used only to create the database a restore goes into (`make up` writes the superuser’s); without it the owner’s login must hold CREATEDB',
  },
  dir: {
    type: 'string',
    env: 'RETAIL_BACKUP_DIR',
    doc: 'where `backup create` writes archives when no `--output` is given (default `.stack/backups/`)',
  },
} as const satisfies Schema;
