/**
 * Typed application errors. Every error thrown inside `lib/` is an `AppError` with a stable
 * snake_case `code`; `lib/http/problem.ts` maps codes to HTTP statuses in one table.
 */

/** Base class: `code` is stable and machine-readable, `message` says expected vs got and the fix. */
export class AppError extends Error {
  /** Stable snake_case code, e.g. `undecodable`, `identity_not_found`. */
  readonly code: string;
  /** Optional structured details safe to show a client. */
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** The input is malformed or violates a documented limit (400/413/415/422 at the edge). */
export class InputError extends AppError {}

/** A named thing does not exist (404). */
export class NotFoundError extends AppError {}

/** The request conflicts with stored state (409). */
export class ConflictError extends AppError {}

/** A dependency is not ready yet: models loading, index rebuilding (503). */
export class NotReadyError extends AppError {}

/** An internal invariant broke: a bug, never a user's fault (500). */
export class InvariantError extends AppError {
  constructor(message: string) {
    super('invariant', message);
  }
}

/** Throws `InvariantError` when `condition` is false. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}
