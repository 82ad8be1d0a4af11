import { type Kysely, sql } from 'kysely';

// Cardholder sign-in and strong authentication. Secrets never sit here in a
// usable form: session and grant tokens as SHA-256 digests, passwords as
// scrypt hashes, TOTP secrets sealed by the vault. Everything belongs to a
// cardholder and goes with it. Grants and challenges are not tied to
// auth_sessions by a foreign key: an issuer's own identity provider may own
// the sessions they are bound to.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('auth_passwords')
    .addColumn('username', 'text', (c) => c.primaryKey())
    .addColumn('cardholder_id', 'text', (c) =>
      c.notNull().references('cardholders.id').onDelete('cascade').unique(),
    )
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();

  // Failure counters for anything guessable (passwords, one-time codes), keyed
  // by what is being guessed, including usernames that do not exist.
  await db.schema
    .createTable('auth_attempts')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('locked_until', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('auth_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('cardholder_id', 'text', (c) => c.notNull().references('cardholders.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull())
    .addColumn('idle_expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('absolute_expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('revoked_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('auth_sessions_cardholder')
    .on('auth_sessions')
    .column('cardholder_id')
    .execute();

  await db.schema
    .createTable('auth_grants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('cardholder_id', 'text', (c) => c.notNull().references('cardholders.id').onDelete('cascade'))
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull().check(sql`method in ('totp', 'webauthn')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('revoked_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('auth_grants_session').on('auth_grants').column('session_id').execute();

  await db.schema
    .createTable('auth_challenges')
    .addColumn('challenge', 'text', (c) => c.primaryKey())
    .addColumn('cardholder_id', 'text', (c) => c.notNull().references('cardholders.id').onDelete('cascade'))
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) =>
      c.notNull().check(sql`purpose in ('webauthn.registration', 'webauthn.authentication')`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('auth_totp')
    .addColumn('cardholder_id', 'text', (c) =>
      c.primaryKey().references('cardholders.id').onDelete('cascade'),
    )
    .addColumn('secret_sealed', 'bytea', (c) => c.notNull())
    // The last time step a code was accepted for: nothing at or before it is accepted again.
    .addColumn('last_time_step', 'bigint')
    .addColumn('confirmed_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('auth_webauthn_credentials')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('cardholder_id', 'text', (c) => c.notNull().references('cardholders.id').onDelete('cascade'))
    .addColumn('public_key', 'bytea', (c) => c.notNull())
    .addColumn('counter', 'bigint', (c) => c.notNull())
    .addColumn('transports', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('device_type', 'text', (c) => c.notNull())
    .addColumn('backed_up', 'boolean', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_used_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('auth_webauthn_credentials_cardholder')
    .on('auth_webauthn_credentials')
    .column('cardholder_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'auth_webauthn_credentials',
    'auth_totp',
    'auth_challenges',
    'auth_grants',
    'auth_sessions',
    'auth_attempts',
    'auth_passwords',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
