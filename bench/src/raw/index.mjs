// The raw writer of each backend kind, loaded on demand.

/** @type {Record<string, () => Promise<(namespace: string) => Promise<{ label: string, write(records: object[]): Promise<void>, close(): Promise<void> }>>>} */
export const RAW_WRITERS = {
  sqlite: async () => (await import('./sqlite.mjs')).createRawSqlite,
  redis: async () => (await import('./redis.mjs')).createRawRedis,
  postgres: async () => (await import('./postgres.mjs')).createRawPostgres,
  mysql: async () => (await import('./mysql.mjs')).createRawMysql,
};
