import { galleryOps } from '@/lib/http/operations';
import { getCalibrationReport } from '@/lib/matching';
import { route } from '@/app/api/_lib/handler';

/** The collection's gallery calibration (admin). */
export const GET = route(galleryOps.getCalibration, async ({ caller, params }) => getCalibrationReport(caller, params.id));
