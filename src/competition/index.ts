/** The competition: solution keys, submission validation and scoring, and the team/submission store. */
export * from './key.js';
export * from './submission.js';
export * from './store.js';
export * from './types.js';
export { openDb, isPostgresUrl, dropPostgresSchema, type Db, type DbSession } from './db.js';
export { migrate, MIGRATIONS, type Migration } from './migrations.js';
