import { describe, expectTypeOf, it } from 'vitest';
import { type Submission, type TaskHandle, TaskManager, type TaskRecord, task } from '../src/index.js';

// These cases are checked by the compiler (vitest --typecheck): a line that
// compiles where it must not, or fails where it must not, fails the suite.

const manager = new TaskManager({
  tasks: {
    sendEmail: task(async (_ctx, to: string, subject: string) => ({ sent: true, to, subject }), {
      retries: 3,
    }),
    resize: task(async (_ctx, image: { url: string; width?: number }) => image.width ?? 0),
    ping: task(async () => 'pong' as const),
  },
});

describe('a manager with declared tasks', () => {
  it('checks the task name and the arguments of enqueue()', () => {
    void manager.enqueue('sendEmail', ['ada@example.com', 'Welcome']);
    void manager.enqueue('ping');
    // @ts-expect-error a misspelled task name
    void manager.enqueue('sendEmial', ['ada@example.com', 'Welcome']);
    // @ts-expect-error a wrong argument type
    void manager.enqueue('sendEmail', [42, 'Welcome']);
    // @ts-expect-error a missing argument
    void manager.enqueue('sendEmail', ['ada@example.com']);
    // @ts-expect-error a property the object parameter does not have
    void manager.enqueue('resize', [{ url: 'a.png', height: 3 }]);
  });

  it('gives a typed handle per task, whose reads carry the result type', async () => {
    expectTypeOf(manager.tasks.sendEmail).toEqualTypeOf<
      TaskHandle<[to: string, subject: string], { sent: boolean; to: string; subject: string }>
    >();
    const record = await manager.tasks.resize.get('id');
    expectTypeOf(record?.result).toEqualTypeOf<number | null | undefined>();
    expectTypeOf(record?.args).toEqualTypeOf<[image: { url: string; width?: number }] | undefined>();
    const page = await manager.tasks.ping.query({ status: 'success' });
    expectTypeOf(page.records[0]!.result).toEqualTypeOf<'pong' | null>();
    expectTypeOf(await manager.submit('ping')).toEqualTypeOf<Submission>();
  });
});

describe('define()', () => {
  it('types the handle from the function, and refuses parameters JSON cannot carry', () => {
    const plain = new TaskManager();
    const handle = plain.define('add', async (_ctx, a: number, b: number) => a + b);
    void handle.enqueue([1, 2]);
    // @ts-expect-error a string where a number is expected
    void handle.enqueue([1, '2']);
    // @ts-expect-error Date is not a JSON value
    plain.define('when', async (_ctx, at: Date) => at.getTime());
    // @ts-expect-error neither is a Map inside an object
    plain.define('lookup', async (_ctx, input: { table: Map<string, number> }) => input.table.size);
    // @ts-expect-error nor a BigInt
    task(async (_ctx, amount: bigint) => amount);
    // Interfaces need no index signature; unknown is left to the check at enqueue.
    interface User {
      name: string;
      tags: string[];
      manager?: User | null;
    }
    plain.define('greet', async (_ctx, user: User, extra: unknown) => `${user.name}${String(extra)}`);
  });

  it('leaves a manager without declared tasks open to any name, as before', () => {
    const open = new TaskManager();
    void open.enqueue('anything', [1, 'two']);
    expectTypeOf(open.get).returns.resolves.toEqualTypeOf<TaskRecord | undefined>();
  });

  it('lets a typed manager go wherever a plain one is expected', () => {
    const takesAny = (m: TaskManager) => m.instanceId;
    takesAny(manager);
  });
});

describe('thread tasks and the issue 22 API', () => {
  it('types a module-URL task from its type arguments, and needs { thread: true }', () => {
    const plain = new TaskManager();
    const resize = plain.define<[string, number], { bytes: number }>('resize', new URL('file:///resize.js'), {
      thread: true,
      timeout: 1000,
    });
    expectTypeOf(resize).toEqualTypeOf<TaskHandle<[string, number], { bytes: number }>>();
    // @ts-expect-error a module URL without thread: true
    plain.define('other', new URL('file:///other.js'), {});
    // @ts-expect-error thread: true with a function
    plain.define('fn', async () => 1, { thread: true });
    const declared = new TaskManager({
      tasks: { crunch: task<[number], number>(new URL('file:///crunch.js'), { thread: true }) },
    });
    void declared.enqueue('crunch', [3]);
    // @ts-expect-error the declared argument types apply
    void declared.enqueue('crunch', ['3']);
  });

  it('answers replay() and deadLetters() with their shapes', () => {
    expectTypeOf(manager.replay(['id'])).resolves.toEqualTypeOf<{
      replayed: number;
      skipped: Array<{ id: string; reason: string }>;
    }>();
    expectTypeOf(manager.deadLetters({ name: 'sendEmail', limit: 10 })).resolves.toHaveProperty('nextCursor');
  });
});
