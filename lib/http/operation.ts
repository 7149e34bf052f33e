/** The shape of one documented operation: the route wrapper and the OpenAPI document both read it. */
import type { z } from 'zod';
import { ROLE_TABLE, type Access, type AccessOf, type OperationId } from '@/lib/auth';

/** Who may call: nobody signed in, any valid caller (admin or user key), or admins only (the role table's `Access`). */
export type AuthRule = Access;

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

/** An operation as declared in operations.ts: its access and summary come from the role table. */
export type OperationSpec<I extends OperationId, Q, B> = Omit<Operation<AccessOf<I>, Q, B>, 'id' | 'auth' | 'summary'> & { id: I };

/** Declares an operation, taking its access and summary from the role table (lib/auth/roles.ts) and keeping its query and body types for the handler. */
export function defineOperation<I extends OperationId, Q = undefined, B = undefined>(spec: OperationSpec<I, Q, B>): Operation<AccessOf<I>, Q, B> {
  const { access, summary } = ROLE_TABLE[spec.id];
  return { ...spec, auth: access as AccessOf<I>, summary };
}
