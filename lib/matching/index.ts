/**
 * `lib/matching`: the one door the pages, the API and the scripts use. Every use case takes a
 * `Principal` and throws `AppError`s with stable codes.
 */
export { SYSTEM_CALLER } from './caller';
export type { Page, PageRequest } from './page';
export { createCollection, listCollections, getCollection, updateCollection, deleteCollection, rebuildIndex } from './collections';
export type { CollectionDto, CollectionPatch, CollectionSettings, CreateCollectionInput } from './collections';
export type { CollectionThreshold } from './context';
export { createIdentity, listIdentities, getIdentity, updateIdentity, deleteIdentity } from './identities';
export type { CreateIdentityInput, IdentityDto, IdentityPatch } from './identities';
export { enrollImages, listImages, getImageFile, deleteImage, moveImage } from './images';
export { renderPng } from './renditions';
export type { EnrollResult, ImageDto, RejectReason, UploadFile } from './images';
export { getCalibrationReport, type CalibrationReport } from './calibration-report';
export { MIN_IDENTITIES_FOR_GALLERY_THRESHOLD, TARGET_FARS, type RateEstimate, type TargetFarPoint } from '@/lib/calibration';
export { importArchive, exportCollection, EXPORT_FORMAT, type ImportResult } from './archive';
export { search, verifyPair, verifyIdentity, MAX_K } from './search';
export type { SearchResponse, SearchResult, VerifyResponse } from './search';
export { listAudit, getAuditRetention, setAuditRetention, DEFAULT_AUDIT_RETENTION_DAYS, type AuditEntryDto, type AuditQuery } from './audit';
export { type FacePreparer, type PreparedInput, type PrepareContext, type DetectSetting } from './runtime/embed-input';
export { startRetrain, getRetrainOptions, getJobStatus, listJobStatuses, cancelJobRun, retrainSettingsSchema } from './models/retrain';
export type { JobDto, RetrainOptions, RetrainSettings } from './models/retrain';
export { promoteModel, rollbackModel } from './models/switch';
export { listModels, getModel, getModelPlot, listCollectionModels, deleteCollectionModel } from './models/versions';
export type { ModelSummary, ModelDetail, CollectionModelVersion } from './models/versions';
export type { ModelComparison, ModelScore } from './models/comparison';
export { jobEventStream } from './job-events';
export { startRuntime, getRuntime, stopRuntime, runtimeStatus, processState, type ProcessState } from './process-state';
export type { Runtime, RuntimeStatus } from './runtime/runtime';
