'use client';
import { callApi } from '@/app/_components/api';
import { useApiCall } from '@/app/_components/use-api-call';
import { CLS, ProblemBox } from '@/app/_components/ui';

/** Password form: POST /api/session sets the session cookie, then goes to `next` (null: reloads this page). */
export function SignInForm({ next }: { next: string | null }) {
  const { busy, ready, problem, run } = useApiCall();
  return (
    <form
      className={`${CLS.card} space-y-4`}
      onSubmit={async (e) => {
        e.preventDefault();
        const password = String(new FormData(e.currentTarget).get('password') ?? '');
        await run(
          async () => {
            await callApi('/api/session', { json: { password } });
            if (next === null) window.location.reload();
            else window.location.assign(next);
          },
          { leaves: true, title: 'Sign-in failed' },
        );
      }}
    >
      <label className={CLS.label}>
        Password
        <input name="password" type="password" autoComplete="current-password" required className={`${CLS.input} mt-1`} />
      </label>
      {problem ? <ProblemBox title={problem.title} detail={problem.detail} /> : null}
      <button type="submit" className={CLS.button} disabled={!ready}>{busy ? 'Signing in…' : 'Sign in'}</button>
    </form>
  );
}
