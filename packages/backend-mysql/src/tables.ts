import { InvalidOptionError } from '@errand/core';

/** The backtick-quoted names of the tables one backend uses. */
export interface Tables {
  tasks: string;
  instances: string;
  meta: string;
  /** Scheduler jobs (`@errand/scheduler`), from schema version 2. */
  jobs: string;
  /** The prefix itself, for messages and the migration lock name. */
  prefix: string;
}

// Table names are interpolated into SQL, so the prefix is restricted to what
// needs no quoting; 40 characters leave room for the longest suffix within
// MySQL's 64-character identifier limit.
const PREFIX_PATTERN = /^[A-Za-z0-9_]{0,40}$/;

export function tablesFor(prefix: string): Tables {
  if (typeof prefix !== 'string' || !PREFIX_PATTERN.test(prefix)) {
    throw new InvalidOptionError(
      `tablePrefix must be at most 40 letters, digits or underscores, got ${JSON.stringify(prefix)}`,
    );
  }
  return {
    tasks: `\`${prefix}tasks\``,
    instances: `\`${prefix}instances\``,
    meta: `\`${prefix}meta\``,
    jobs: `\`${prefix}jobs\``,
    prefix,
  };
}
