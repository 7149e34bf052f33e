/**
 * The two zod registries the OpenAPI document is generated from (request side and response side),
 * and the names of the response components: each schema is the domain's own (lib/matching/contract,
 * lib/auth/contract), named here once for `#/components/schemas`.
 */
import { z } from 'zod';
import { apiKeySchema, createdKeySchema, sessionSchema } from '@/lib/auth';
import * as c from '@/lib/matching/contract';
import { problemSchema } from './problem';

/** Component metadata: the name under `#/components/schemas` (descriptions are the schemas' own `.describe()`). */
export interface ComponentMeta {
  id: string;
}

/** Request bodies and queries, documented as their *input* (what a client sends). */
export const requestRegistry = z.registry<ComponentMeta>();

/** Response bodies, documented as their *output* (what the server sends). */
export const responseRegistry = z.registry<ComponentMeta>();

/** Pages of the auth lists (lib/auth pages them as lib/matching does). */
export const apiKeyPageSchema = c.pageOf(apiKeySchema);

/** Every named response component; a schema used inside another is written as a `$ref` to it. */
const RESPONSE_COMPONENTS: Record<string, z.ZodType> = {
  Box: c.boxSchema,
  RejectedFile: c.rejectedFileSchema,
  Problem: problemSchema,
  Session: sessionSchema,
  ApiKey: apiKeySchema,
  CreatedApiKey: createdKeySchema,
  ApiKeyPage: apiKeyPageSchema,
  AuditEntry: c.auditEntrySchema,
  AuditEntryPage: c.auditPageSchema,
  Collection: c.collectionSchema,
  CollectionPage: c.collectionPageSchema,
  Identity: c.identitySchema,
  IdentityPage: c.identityPageSchema,
  Image: c.imageSchema,
  ImagePage: c.imagePageSchema,
  EnrollResult: c.enrollResultSchema,
  RateEstimate: c.rateEstimateSchema,
  CalibrationReport: c.calibrationReportSchema,
  ImportResult: c.importResultSchema,
  SearchResult: c.searchResponseSchema,
  VerifyResult: c.verifyResponseSchema,
  Health: c.healthSchema,
  Job: c.jobSchema,
  JobList: c.jobListSchema,
  ModelSummary: c.modelSummarySchema,
  ModelList: c.modelListSchema,
  ModelDetail: c.modelDetailSchema,
  CollectionModelList: c.collectionModelListSchema,
};
for (const [id, schema] of Object.entries(RESPONSE_COMPONENTS)) responseRegistry.add(schema, { id });
