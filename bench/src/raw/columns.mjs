// Turns a task record into one row of column values for the raw SQL writers:
// each snake_case column takes the camelCase field of the same name, JSON
// fields as JSON text (null as 'null'), booleans as the driver wants them.

const JSON_FIELDS = new Set(['tags', 'args', 'logs', 'result']);

const camel = (column) => column.replace(/_([a-z])/g, (_, letter) => letter.toUpperCase());

/**
 * @param {string[]} columns
 * @param {{ booleanAsNumber: boolean }} options
 * @returns {(record: Record<string, unknown>) => unknown[]}
 */
export function rowMaker(columns, { booleanAsNumber }) {
  const fields = columns.map(camel);
  return (record) =>
    fields.map((field) => {
      const value = record[field];
      if (JSON_FIELDS.has(field)) return JSON.stringify(value ?? null);
      if (value === undefined || value === null) return null;
      if (typeof value === 'boolean') return booleanAsNumber ? Number(value) : value;
      if (typeof value === 'object') return JSON.stringify(value);
      return value;
    });
}
