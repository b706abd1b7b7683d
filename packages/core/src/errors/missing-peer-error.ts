import { ErrandError } from './errand-error.js';

/**
 * A feature needs an optional peer dependency that is not installed
 * (`piscina` for `thread: true` tasks, `@opentelemetry/api` for
 * `tracing: true`). `peer` names the package to install.
 */
export class MissingPeerError extends ErrandError {
  readonly peer: string;

  constructor(peer: string, feature: string) {
    super('ERR_MISSING_PEER', `${feature} needs the optional package "${peer}": npm install ${peer}`);
    this.peer = peer;
  }
}
