import { createHash } from 'node:crypto';

/** A statement whose text never changes, prepared once per connection. */
export interface PreparedStatement {
  name: string;
  text: string;
}

export function prepared(text: string): PreparedStatement {
  // Named after the text itself, so backends with different schemas can share one pool
  // (pg refuses two different texts under one prepared-statement name).
  return { name: `errand_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`, text };
}
