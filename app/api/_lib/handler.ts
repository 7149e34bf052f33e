// The app's `route()`: lib/http's wrapper bound to the started runtime's database (a private
// folder, so Next does not serve it). lib/http may not import lib/matching; this file joins them.
import { createRoute } from '@/lib/http/route';
import { getRuntime } from '@/lib/matching';

/** Wraps a handler: request id, auth, limits, parsing, problem+json (see lib/http/route.ts). */
export const route = createRoute({ db: () => getRuntime().db });
