import type { EventHub } from '../live/event-hub.js';
import type { Capability, ResolvedOptions } from '../options.js';

/** What a route handler gets: the request, who asked, what they may do. */
export interface RouteContext {
  request: Request;
  url: URL;
  /** Path parameters (`:id`), decoded. */
  params: Record<string, string>;
  options: ResolvedOptions;
  hub: EventHub;
  capabilities: ReadonlySet<Capability>;
  /** The viewer, as the action log names them. */
  who: string;
}

/** Writes one action line to the dashboard's logger: who did what to which task or job. */
export function logAction(context: RouteContext, action: string, fields: Record<string, unknown>): void {
  context.options.logger.info(`dashboard: ${action}`, { who: context.who, action, ...fields });
}
