/**
 * What differs between the three SQL engines, and nothing else: every
 * statement the backends share is built from one code path over one of
 * these (as Kysely and Drizzle do), so a fix lands in all three at once.
 */
export interface SqlDialect {
  readonly name: 'sqlite' | 'postgres' | 'mysql';
  /** The placeholder of the `n`-th bound value (1-based). */
  placeholder(n: number): string;
  /**
   * `column IN (...)` over a bound list of strings. PostgreSQL binds the
   * whole list as one array; mysql2 expands an array bound to one `?`;
   * SQLite needs one placeholder per value.
   */
  inList(column: string, values: readonly string[], params: Params): string;
  /** A bound epoch-ms value where a BIGINT is expected. */
  time(placeholder: string): string;
  /** Case-insensitive substring test; `needle` is bound already lower-cased. */
  contains(column: string, needle: string, params: Params): string;
  /**
   * `(created_at, id)` strictly before a cursor position, spelled so that the
   * engine walks the `(created_at, id)` index.
   */
  before(createdAt: number, id: string, params: Params): string;
  /** Whether a boolean column is true. */
  isTrue(column: string): string;
  /** String concatenation. */
  concat(...parts: string[]): string;
  /** Integer division of two BIGINT expressions, rounded down for positive values. */
  intDiv(dividend: string, divisor: string): string;
  /** The store's clock in epoch ms, as an expression. */
  readonly now: string;
  /** Whether the JSON object in `column` holds every pair of `tags`. */
  tagsMatch(column: string, tags: Readonly<Record<string, string>>, params: Params): string;
  /** The value the row being inserted brings for `column`, inside an upsert's update. */
  incoming(column: string): string;
  /** The upsert clause: on a clash on `keys`, run `assignments` (`col = expr`). */
  onConflict(keys: readonly string[], assignments: readonly string[]): string;
  /** The locking clause of a read inside a transaction (SQLite locks the whole store instead). */
  readonly forUpdate: string;
  /** Literal of a boolean. */
  bool(value: boolean): string;
  /** A quoted identifier, for column names that are reserved words (`trigger`, `key`). */
  quote(identifier: string): string;
  /** Whether an `INSERT` can return the rows it wrote (`RETURNING`). */
  readonly returning: boolean;
}

/** Collects bound values and hands out their placeholders, in order. */
export class Params {
  readonly values: unknown[] = [];
  readonly #dialect: SqlDialect;

  constructor(dialect: SqlDialect) {
    this.#dialect = dialect;
  }

  /** Binds `value` and returns its placeholder. */
  add(value: unknown): string {
    this.values.push(value);
    return this.#dialect.placeholder(this.values.length);
  }
}

/** A statement and its bound values. */
export interface Statement {
  sql: string;
  values: unknown[];
  /**
   * Its text is one of the few a store sends over and over: a driver may prepare it once per
   * connection (PostgreSQL names it). Left out for texts that vary with the call, and for plans
   * that must see their values (a claim).
   */
  prepared?: boolean;
}

/** Quotes a string as an SQL literal (for constants such as status names, never user input). */
export function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
