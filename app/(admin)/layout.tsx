import type { ReactNode } from 'react';
import { requireSession } from '@/app/_lib/session';

/**
 * The admin pages. Checking the session here, above this group's loading boundary, lets a refusal
 * set the HTTP status (401 with the sign-in form, 403 for a user key) before anything streams: a
 * page inside a Suspense boundary would already have sent 200.
 */
export default async function AdminLayout({ children }: { children: ReactNode }) {
  await requireSession();
  return children;
}
