export * from './sql-dialect.js';
export * from './sql-driver.js';
export * from './experiment-migrations.js';
export * from './sql-experiment-store.js';
export * from './sql-task-pool.js';
