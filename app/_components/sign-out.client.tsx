'use client';
import { useState } from 'react';
import { callApi } from './api';
import { useHydrated } from './use-hydrated';

/** Ends the admin session (DELETE /api/session) and returns to the sign-in page. */
export function SignOutButton() {
  const [busy, setBusy] = useState(false);
  const hydrated = useHydrated();
  return (
    <button
      type="button"
      className="text-sm font-medium text-slate-900 hover:underline disabled:opacity-50"
      disabled={!hydrated || busy}
      onClick={async () => {
        setBusy(true);
        try {
          await callApi('/api/session', { method: 'DELETE' });
        } finally {
          window.location.assign('/signin');
        }
      }}
    >
      Sign out
    </button>
  );
}
