/** The shape of one documented operation: the route wrapper and the OpenAPI document both read it. */
import type { z } from 'zod';

/** Who may call: nobody signed in, any valid caller (admin or user key), or admins only. */
export type AuthRule = 'none' | 'any' | 'admin';

/** HTTP methods the API uses. */
export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** One operation of the REST API. */
export interface Operation<A extends AuthRule = AuthRule, Q = unknown, B = unknown> {
  /** OpenAPI operationId. */
  id: string;
  method: Method;
  /** OpenAPI path template, e.g. `/api/collections/{id}`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  auth: A;
  /** Query string schema (values arrive as strings). */
  query?: z.ZodType<Q>;
  /** Body schemas by content type; both variants produce the same `B`. */
  body?: { json?: z.ZodType<B>; multipart?: z.ZodType<B> };
  /** The success response: JSON `schema`, bytes of the `binary` media type (`image/*`, `application/zip`, `text/event-stream`), or no content (204). */
  success: { status: 200 | 201 | 202 | 204; description: string; schema?: z.ZodType; binary?: string };
  /** Other statuses answered with the success body (health's 503 while starting). */
  sameBodyStatuses?: readonly number[];
  /** Statuses beyond those implied by auth, body, query and path parameters (e.g. 409). */
  extraProblems?: readonly number[];
}

/** Declares an operation, keeping its query and body types for the handler. */
export function defineOperation<A extends AuthRule, Q = undefined, B = undefined>(op: Operation<A, Q, B>): Operation<A, Q, B> {
  return op;
}
