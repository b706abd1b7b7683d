import { randomBytes } from 'node:crypto';
import { type Connection, createConnection } from 'mysql2/promise';

/** The server the tests use; `MYSQL_URL` points them elsewhere. */
export const SERVER_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

export const START_COMMAND =
  'docker run -d --name errand-mariadb -p 3306:3306 -e MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1 -e MARIADB_DATABASE=test mariadb:10.11';

export function admin(): Promise<Connection> {
  return createConnection(SERVER_URL);
}

/** The server URL with another database in its path. */
export function urlFor(database: string): string {
  const url = new URL(SERVER_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

/** A database of its own for one test: other packages' tests share the server. */
export async function createDatabase(): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `errand_t_${randomBytes(6).toString('hex')}`;
  const connection = await admin();
  try {
    await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  } finally {
    await connection.end();
  }
  return {
    name,
    url: urlFor(name),
    async drop() {
      const connection = await admin();
      try {
        await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await connection.end();
      }
    },
  };
}
