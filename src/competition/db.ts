/**
 * A small SQL layer over SQLite (better-sqlite3) and PostgreSQL (pg) with one interface, so the competition
 * store and its migrations run unchanged on both. SQL is written once, portably, with `?` placeholders
 * (rewritten to $1, $2, ... for PostgreSQL). Values are strings, numbers and null (booleans as 0/1, times as
 * ISO-8601 text). All methods are async; on SQLite the single connection is serialized so that a
 * transaction's statements are never interleaved with another request's.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Dialect } from './types.js';

export type SqlValue = string | number | null;

/** What a transaction body gets: the same queries, bound to the transaction. */
export interface DbSession {
  readonly dialect: Dialect;
  all<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
  /** Several statements separated by semicolons, no parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends DbSession {
  /** Where the database is (file path, or URL without its password). */
  readonly description: string;
  /** Runs `body` in a transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(body: (tx: DbSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenDbOptions {
  /** PostgreSQL schema to use (created when absent); also read from the URL's `?schema=` parameter. */
  schema?: string;
}

export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

/** Opens a SQLite file (created, with its folder, when absent) or a postgres:// URL. */
export async function openDb(target: string, options: OpenDbOptions = {}): Promise<Db> {
  return isPostgresUrl(target) ? openPostgres(target, options) : openSqlite(target);
}

// ---- SQLite ----

function openSqlite(file: string): Db {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const database = new Database(file);
  database.pragma('journal_mode = WAL');
  // WAL + NORMAL: commits are durable against crashes of the process, and skip an fsync per commit.
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string): Database.Statement => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = database.prepare(sql);
      if (statements.size > 200) statements.clear();
      statements.set(sql, statement);
    }
    return statement;
  };
  const session: DbSession = {
    dialect: 'sqlite',
    async all<T>(sql: string, params: readonly SqlValue[] = []) {
      return prepare(sql).all(...params) as T[];
    },
    async get<T>(sql: string, params: readonly SqlValue[] = []) {
      const statement = prepare(sql);
      if (statement.reader) return statement.get(...params) as T | undefined;
      statement.run(...params);
      return undefined;
    },
    async run(sql: string, params: readonly SqlValue[] = []) {
      const statement = prepare(sql);
      if (statement.reader) return { changes: statement.all(...params).length };
      return { changes: statement.run(...params).changes };
    },
    async exec(sql: string) {
      database.exec(sql);
    },
  };
  // One connection: everything queues behind a running transaction.
  let tail: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const result = tail.then(work, work);
    tail = result.catch(() => undefined);
    return result;
  };
  return {
    dialect: 'sqlite',
    description: file,
    all: (sql, params) => exclusive(() => session.all(sql, params)),
    get: (sql, params) => exclusive(() => session.get(sql, params)),
    run: (sql, params) => exclusive(() => session.run(sql, params)),
    exec: (sql) => exclusive(() => session.exec(sql)),
    transaction: <T>(body: (tx: DbSession) => Promise<T>) =>
      exclusive(async () => {
        database.exec('BEGIN IMMEDIATE');
        try {
          const result = await body(session);
          database.exec('COMMIT');
          return result;
        } catch (error) {
          database.exec('ROLLBACK');
          throw error;
        }
      }),
    close: () => exclusive(async () => void database.close()),
  } as Db;
}

// ---- PostgreSQL ----

/** `?` placeholders -> `$1, $2, ...` (the SQL here never has a literal `?`). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function validSchema(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new Error(`schema "${schema}": expected a lower-case SQL identifier ([a-z_][a-z0-9_]*)`);
  return schema;
}

function postgresSession(query: (sql: string, params?: readonly SqlValue[]) => Promise<pg.QueryResult>): DbSession {
  return {
    dialect: 'postgres',
    async all<T>(sql: string, params: readonly SqlValue[] = []) {
      return (await query(numbered(sql), params)).rows as T[];
    },
    async get<T>(sql: string, params: readonly SqlValue[] = []) {
      return (await query(numbered(sql), params)).rows[0] as T | undefined;
    },
    async run(sql: string, params: readonly SqlValue[] = []) {
      return { changes: (await query(numbered(sql), params)).rowCount ?? 0 };
    },
    async exec(sql: string) {
      await query(sql);
    },
  };
}

async function openPostgres(target: string, options: OpenDbOptions): Promise<Db> {
  const url = new URL(target);
  const schema = options.schema ?? url.searchParams.get('schema') ?? undefined;
  url.searchParams.delete('schema');
  const connectionString = url.toString();
  if (schema) {
    validSchema(schema);
    const client = new pg.Client({ connectionString });
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } finally {
      await client.end();
    }
  }
  const pool = new pg.Pool({ connectionString, max: 8, options: schema ? `-c search_path=${schema}` : undefined });
  // An idle client's error (e.g. the server restarting) must not crash the process.
  pool.on('error', () => undefined);
  const shown = new URL(connectionString);
  if (shown.password) shown.password = '***';
  const session = postgresSession((sql, params) => pool.query(sql, params as SqlValue[] | undefined));
  return {
    ...session,
    description: `${shown.toString()}${schema ? ` (schema ${schema})` : ''}`,
    async transaction<T>(body: (tx: DbSession) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await body(
          postgresSession((sql, params) => client.query(sql, params as SqlValue[] | undefined)),
        );
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** Drops a PostgreSQL schema and everything in it (tests clean up their fresh schema with this). */
export async function dropPostgresSchema(target: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: target });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${validSchema(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}
