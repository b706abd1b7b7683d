import type { TaskEvent } from './observer.js';

/** Line breaks inside a value would split one event over several lines: shown escaped instead. */
function oneLine(text: string): string {
  return text.replace(/\r\n|\r|\n/g, '\\n');
}

/** JSON of a log line's fields; a value JSON cannot hold is named rather than thrown. */
function fieldsText(fields: Record<string, unknown>): string {
  try {
    return JSON.stringify(fields);
  } catch {
    return '{"fields":"not JSON"}';
  }
}

/**
 * One event as one text line, newline included:
 * `2025-01-31T12:00:00.000Z [info] [<task id>] [<name>] message {"field":1}`.
 */
export function formatLine(event: TaskEvent): string {
  const fields = event.fields === undefined ? '' : ` ${fieldsText(event.fields)}`;
  return `${new Date(event.at).toISOString()} [${event.level}] [${event.taskId}] [${oneLine(event.name)}] ${oneLine(event.message)}${fields}\n`;
}

/** One event as one JSON line, newline included (JSON escapes line breaks itself). */
export function formatJson(event: TaskEvent): string {
  const { at, ...rest } = event;
  try {
    return `${JSON.stringify({ time: new Date(at).toISOString(), ...rest })}\n`;
  } catch {
    return `${JSON.stringify({ time: new Date(at).toISOString(), ...rest, fields: { fields: 'not JSON' } })}\n`;
  }
}
