// The state every page action shares: whether a call is running, the problem of the last failed call,
// and whether the control may be used (hydrated and idle).
import { useState } from 'react';
import { problemOf, type Problem } from './api';
import { useHydrated } from './use-hydrated';

/**
 * `run(work)` clears the problem, marks busy, and shows a failure's problem (`title` for failures that are
 * not the API's own); `leaves`: success navigates away, so the control stays busy.
 */
export function useApiCall() {
  const hydrated = useHydrated();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const run = async (work: () => Promise<unknown>, opts: { leaves?: boolean; title?: string } = {}): Promise<void> => {
    setBusy(true);
    setProblem(null);
    try {
      await work();
      if (!opts.leaves) setBusy(false);
    } catch (err) {
      setProblem(problemOf(err, opts.title));
      setBusy(false);
    }
  };
  /** Forgets the last problem (the input it was about changed). */
  const clear = () => setProblem(null);
  return { hydrated, busy, ready: hydrated && !busy, problem, run, clear };
}
