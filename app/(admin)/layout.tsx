import type { ReactNode } from 'react';
import { requireSession } from '@/app/_lib/session';

/**
 * The admin pages. Checking the session here lets a refusal set the HTTP status (401 with the
 * sign-in form, 403 for a user key) before anything streams. The group has no loading boundary
 * (loading.tsx): a page inside one streams 200 before it can find its record missing, and a
 * missing record must answer 404 (issue 16).
 */
export default async function AdminLayout({ children }: { children: ReactNode }) {
  await requireSession();
  return children;
}
