/**
 * The store's clock in epoch milliseconds, as an SQL expression.
 *
 * `UNIX_TIMESTAMP(NOW(3))` converts through the session time zone and is off
 * by an hour during a daylight-saving fold; the difference of two UTC
 * DATETIMEs involves no time zone at all. Both MySQL 8 and MariaDB accept it.
 */
export const STORE_NOW = "(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000)";
