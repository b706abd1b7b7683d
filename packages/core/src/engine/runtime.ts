import type { TaskEvents } from '../events.js';
import type { RecordCache } from '../memory/record-cache.js';
import type { ResolvedManagerOptions } from '../options/index.js';
import type { TaskDefinition } from './task-state.js';

/** Emits one of the manager's events. */
export type Emit = <E extends keyof TaskEvents>(event: E, ...args: Parameters<TaskEvents[E]>) => void;

/** Lifecycle of a manager. */
export type ManagerState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * What every part of one manager shares: its options, its defined tasks,
 * its record cache and its events. Each part owns its own state; this is
 * only how they reach what they have in common.
 */
export interface Runtime {
  readonly options: ResolvedManagerOptions;
  readonly instanceId: string;
  readonly definitions: Map<string, TaskDefinition>;
  readonly cache: RecordCache;
  readonly emit: Emit;
  /** The manager's lifecycle state now. */
  state(): ManagerState;
}
