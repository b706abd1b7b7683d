/** A driver's text or bytes (mysql2 gives VARBINARY as a Buffer) as a string. */
export const text = (value: unknown): string =>
  Buffer.isBuffer(value) ? value.toString('utf8') : String(value);

/** A JSON column as the driver returns it: text (SQLite, MySQL) or parsed already (PostgreSQL `json`). */
export const json = (value: unknown): unknown =>
  typeof value === 'string' || Buffer.isBuffer(value) ? JSON.parse(text(value)) : value;
