/**
 * The store's clock in epoch milliseconds. `clock_timestamp()`, not `now()`:
 * `now()` is frozen at the start of the transaction, and leases compare
 * against the moment of the statement.
 */
export const STORE_NOW = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint';
