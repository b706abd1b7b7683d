import { ErrandError } from './errand-error.js';

/**
 * Task arguments (or a value to store) would not survive a JSON round trip:
 * a function, a cycle, a BigInt, a non-finite number, a class instance.
 * `path` says where, e.g. `args[1].user.createdAt`.
 */
export class InvalidArgumentsError extends ErrandError {
  readonly path: string;

  constructor(path: string, problem: string) {
    super('ERR_INVALID_ARGS', `${path} ${problem}: task arguments must round-trip through JSON`);
    this.path = path;
  }
}
