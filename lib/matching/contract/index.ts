/**
 * The contract of `lib/matching`: zod schemas of what the use cases take and answer, one module per
 * use case. The use cases' types are inferred from them, and lib/http builds the routes'
 * validation and the OpenAPI document from them. These modules import zod and names.ts only, so
 * lib/http takes the contract without the domain behind it.
 */
export * from './common';
export * from './collections';
export * from './identities';
export * from './images';
export * from './search';
export * from './calibration';
export * from './archive';
export * from './audit';
export * from './models';
export * from './health';
