/**
 * `lib/matching`: the one door the pages, the API and the scripts use. Every use case takes a
 * `Principal` and throws `AppError`s with stable codes.
 */
export { SYSTEM_CALLER } from './caller';
export type { Page, PageRequest } from './page';
export { createCollection, listCollections, getCollection, updateCollection, deleteCollection, rebuildIndex } from './collections';
export type { CollectionDto, CollectionPatch, CollectionSettings, CollectionThreshold, CreateCollectionInput } from './contract/collections';
export { createIdentity, listIdentities, getIdentity, updateIdentity, deleteIdentity } from './identities';
export type { CreateIdentityInput, IdentityDto, IdentityPatch } from './contract/identities';
export { enrollImages, listImages, getImageFile, deleteImage, moveImage } from './images';
export { renderPng } from './renditions';
export type { UploadFile } from './images';
export type { EnrollResult, ImageDto, RejectReason } from './contract/images';
export { getCalibrationReport } from './calibration-report';
export { MIN_IDENTITIES_FOR_GALLERY_THRESHOLD, TARGET_FARS } from '@/lib/calibration';
export type { CalibrationReport, RateEstimate, TargetFarPoint } from './contract/calibration';
export { importArchive, exportCollection, EXPORT_FORMAT } from './archive';
export type { ImportResult } from './contract/archive';
export { search, verifyPair, verifyIdentity } from './search';
export { MAX_K, type SearchResponse, type SearchResult, type VerifyResponse } from './contract/search';
export { listAudit, getAuditRetention, setAuditRetention, DEFAULT_AUDIT_RETENTION_DAYS, type AuditQuery } from './audit';
export type { AuditEntryDto } from './contract/audit';
export { type FacePreparer, type PreparedInput, type PrepareContext, type DetectSetting } from './runtime/embed-input';
export { startRetrain, getRetrainOptions, getJobStatus, listJobStatuses, cancelJobRun } from './models/retrain';
export type { RetrainOptions } from './models/retrain';
export { retrainSettingsSchema, type JobDto, type RetrainSettings } from './contract/models';
export { promoteModel, rollbackModel } from './models/switch';
export { listModels, getModel, getModelPlot, listCollectionModels, deleteCollectionModel } from './models/versions';
export type { ModelDetail } from './models/versions';
export type { ModelSummary, CollectionModelVersion } from './contract/models';
export type { ModelComparison, ModelScore } from './models/comparison';
export { jobEventStream } from './job-events';
export { startRuntime, getRuntime, stopRuntime, runtimeStatus, processState, type ProcessState } from './process-state';
export type { Runtime, RuntimeStatus } from './runtime/runtime';
