/**
 * Typed application errors. Every error thrown inside `lib/` is an `AppError` with a stable
 * snake_case `code`; `lib/http/problem.ts` maps codes to HTTP statuses in one table.
 */

/** Where an error records the `kind` of its class and of each class above it. */
const KINDS = Symbol.for('fewshot.AppError.kinds');

/**
 * Base class: `code` is stable and machine-readable, `message` says expected vs got and the fix.
 *
 * `instanceof` works across module copies: Next bundles the route handlers apart from the server
 * process that starts the runtime (its embedding worker pool, its jobs), so an error thrown by the
 * runtime's copy of this file is not an instance of the bundle's copy by prototype. Each error
 * records the `kind` of its class chain (a global-registry symbol), and `instanceof` reads that.
 * A subclass that declares no static `kind` of its own falls back to the prototype check.
 */
export class AppError extends Error {
  /** Stable class name, the same in every module copy (bundlers may rename classes). */
  static readonly kind: string = 'AppError';

  static [Symbol.hasInstance](value: unknown): boolean {
    if (!Object.hasOwn(this, 'kind')) return Function.prototype[Symbol.hasInstance].call(this, value);
    const kinds = (value as { [KINDS]?: unknown } | null | undefined)?.[KINDS];
    return Array.isArray(kinds) && kinds.includes(this.kind);
  }

  /** Kinds of the class chain, most specific first. */
  readonly [KINDS]: string[];

  /** Stable snake_case code, e.g. `undecodable`, `identity_not_found`. */
  readonly code: string;
  /** Optional structured details safe to show a client. */
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
    this[KINDS] = [];
    for (let c: unknown = new.target; typeof c === 'function' && c !== Error; c = Object.getPrototypeOf(c)) {
      if (Object.hasOwn(c, 'kind')) this[KINDS].push((c as typeof AppError).kind);
    }
  }
}

/** The input is malformed or violates a documented limit (400/413/415/422 at the edge). */
export class InputError extends AppError {
  static override readonly kind: string = 'InputError';
}

/** A named thing does not exist (404). */
export class NotFoundError extends AppError {
  static override readonly kind: string = 'NotFoundError';
}

/** The request conflicts with stored state (409). */
export class ConflictError extends AppError {
  static override readonly kind: string = 'ConflictError';
}

/**
 * Valid credentials, but not allowed to do this: a role or key scope refuses (`forbidden`, 403 at
 * the edge). Here, not in lib/auth, because both lib/auth (route roles) and lib/matching (the
 * domain's admin and scope checks) throw it, and lib/matching may not import lib/auth's values.
 */
export class NotAllowedError extends AppError {
  static override readonly kind: string = 'NotAllowedError';

  constructor(message: string) {
    super('forbidden', message);
  }
}

/** A dependency is not ready yet: models loading, index rebuilding (503). */
export class NotReadyError extends AppError {
  static override readonly kind: string = 'NotReadyError';
}

/** An internal invariant broke: a bug, never a user's fault (500). */
export class InvariantError extends AppError {
  static override readonly kind: string = 'InvariantError';

  constructor(message: string) {
    super('invariant', message);
  }
}

/**
 * A stored JSON column does not have the shape its schema in lib/db says (a hand-edited or corrupt
 * row, or a writer that bypassed lib/db): 500, with the table, column and row named in `details`.
 */
export class StoredValueError extends AppError {
  static override readonly kind: string = 'StoredValueError';
}

/** Throws `InvariantError` when `condition` is false. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}
