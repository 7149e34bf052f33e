/** The two zod registries the OpenAPI document is generated from (request side and response side). */
import { z } from 'zod';

/** Component metadata: the name under `#/components/schemas`. */
export interface ComponentMeta {
  id: string;
  description?: string;
}

/** Request bodies and queries, documented as their *input* (what a client sends). */
export const requestRegistry = z.registry<ComponentMeta>();

/** Response bodies, documented as their *output* (what the server sends). */
export const responseRegistry = z.registry<ComponentMeta>();
