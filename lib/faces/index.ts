/**
 * `lib/faces`: face detection, alignment, verdicts and the face embedding, on BlazeFace
 * (`./blazeface`, vendored weights) and face-api's pretrained nets (the only importer of
 * `@vladmandic/face-api` is `./face-api`).
 *
 * Service seam (enroll or search one image):
 *   const model = await loadFaceModel(dir);                       // face_weights_mismatch on a changed package
 *   const faces = await prepareFaces(img, { mode, purpose, detector: model.config.detector,
 *     thresholds: model.config.thresholds, models: model.models }); // FaceRefusedError: no_face | face_too_small | low_score
 *   const embeddings = await model.embed(faces.filter((f) => f.descriptor).map((f) => f.descriptor!));
 *   checkNearDuplicate(e, sameIdentity, threshold); checkIdentityOutlier(e, others, threshold);
 */
export { FACE_API_PACKAGE, FACE_API_VERSION, FACE_WEIGHT_PINS, loadFaceModels, type FaceModels, type FaceWeightPins } from './face-api';
export { detectFaces, DETECT_MIN_SCORE, type DetectedFace, type FaceDetector, type Point } from './detect';
export { alignFace, dlibTemplatePoint, eyeCentres, eyeLineAngle, wholeImageInput, DEFAULT_ALIGNMENT, DESCRIPTOR_INPUT_PX, DLIB_CHIP_PADDING, LEGACY_ALIGNMENT, type AlignedFace, type AlignMethod, type FaceAlignment } from './align';
export { describeFaces, l2Normalise, DESCRIPTOR_DIM } from './descriptor';
export { prepareFaces, FaceRefusedError, DEFAULT_FACE_THRESHOLDS, type DetectMode, type FacePurpose, type FaceThresholds, type PreparedFace, type PrepareFacesOptions } from './prepare';
export { checkIdentityOutlier, checkNearDuplicate, NEAR_DUPLICATE_FRACTION, REFUSAL_CODES, type RefusalCode, type Verdict, type VerdictCode, type WarningCode } from './verdicts';
export { defaultFaceConfig, loadFaceModel, readFaceConfig, writeFaceConfig, type FaceModel, type FaceModelConfig } from './model';
export { describeFolder, detectFolder, toLabelledVectors, type DescribedImage, type DetectedImage, type DescriptorCache } from './descriptor-cache';
export { loadFacePipeline } from './pipeline';
