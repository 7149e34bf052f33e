'use client';
import { useState } from 'react';
import { callApi, type Problem, problemOf } from '@/app/_components/api';
import { useHydrated } from '@/app/_components/use-hydrated';
import { CLS, ProblemBox } from '@/app/_components/ui';

/** Password form: POST /api/session sets the session cookie, then goes to `next`. */
export function SignInForm({ next }: { next: string }) {
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const hydrated = useHydrated();
  return (
    <form
      className={`${CLS.card} space-y-4`}
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setProblem(null);
        const password = String(new FormData(e.currentTarget).get('password') ?? '');
        try {
          await callApi('/api/session', { json: { password } });
          window.location.assign(next);
        } catch (err) {
          setProblem(problemOf(err, 'Sign-in failed'));
          setBusy(false);
        }
      }}
    >
      <label className={CLS.label}>
        Password
        <input name="password" type="password" autoComplete="current-password" required className={`${CLS.input} mt-1`} />
      </label>
      {problem ? <ProblemBox title={problem.title} detail={problem.detail} /> : null}
      <button type="submit" className={CLS.button} disabled={!hydrated || busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
    </form>
  );
}
