/**
 * The one `globalThis` key of the process state (process-state.ts). `Symbol.for` is shared by every
 * module graph of the process; a module of its own, so scripts/start.ts reaches the state on SIGTERM
 * without loading the domain (the database client, the stores, the worker) into its own graph.
 */
export const PROCESS_STATE_KEY = Symbol.for('fewshot.process');
