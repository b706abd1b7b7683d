import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { maskAll, parseStoreUrl } from '../src/store/url.js';

describe('parseStoreUrl', () => {
  it('reads SQLite paths, relative to the working directory or absolute', () => {
    expect(parseStoreUrl('sqlite:./data/tasks.db', { cwd: '/srv/app' })).toMatchObject({
      kind: 'sqlite',
      path: '/srv/app/data/tasks.db',
      display: 'sqlite:./data/tasks.db',
    });
    expect(parseStoreUrl('sqlite:/var/lib/tasks.db').path).toBe('/var/lib/tasks.db');
    expect(parseStoreUrl('sqlite:///var/lib/tasks.db').path).toBe('/var/lib/tasks.db');
    expect(parseStoreUrl('sqlite:tasks.db', { cwd: '/srv' }).path).toBe('/srv/tasks.db');
  });

  it('knows each network scheme and keeps --prefix and --schema', () => {
    expect(parseStoreUrl('postgres://u@h/db').kind).toBe('postgres');
    expect(parseStoreUrl('postgresql://u@h/db', { schema: 's1', prefix: 'p_' })).toMatchObject({
      kind: 'postgres',
      schema: 's1',
      prefix: 'p_',
    });
    expect(parseStoreUrl('mysql://root@127.0.0.1:3306/test').kind).toBe('mysql');
    expect(parseStoreUrl('redis://127.0.0.1:6379', { prefix: 'app:' })).toMatchObject({
      kind: 'redis',
      prefix: 'app:',
    });
    expect(parseStoreUrl('rediss://h:6380').kind).toBe('redis');
  });

  it('refuses a missing, unknown or malformed store with a usage error', () => {
    expect(() => parseStoreUrl(undefined)).toThrow(/ERRAND_STORE_URL/);
    expect(() => parseStoreUrl('mongodb://h/db')).toThrow(UsageError);
    expect(() => parseStoreUrl('sqlite:')).toThrow(UsageError);
    expect(() => parseStoreUrl('redis://h', { schema: 'x' })).toThrow(/PostgreSQL/);
  });

  it('never shows the password, even in the message about a malformed URL', () => {
    const target = parseStoreUrl('postgres://app:s3cr%21t@db:5432/prod');
    expect(target.display).toBe('postgres://app:***@db:5432/prod');
    expect(target.secrets).toContain('s3cr!t');
    const malformed = () => parseStoreUrl('postgres://app:hunter22@db:notaport/prod');
    expect(malformed).toThrow(UsageError);
    expect(malformed).toThrow(/postgres:\/\/app:\*\*\*@db:notaport/);
  });

  it('masks the bare password wherever a driver echoes it', () => {
    const { secrets } = parseStoreUrl('redis://:Tr0ub4dor@cache:6379');
    expect(maskAll('WRONGPASS invalid password Tr0ub4dor for default', secrets)).toBe(
      'WRONGPASS invalid password *** for default',
    );
    expect(maskAll('connect to redis://:Tr0ub4dor@cache:6379 failed', [])).not.toContain('Tr0ub4dor');
  });
});
