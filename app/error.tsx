'use client';
import { ProblemBox, CLS } from '@/app/_components/ui';

/** Any page's failure: the message (server errors arrive with a generic one and a digest) and a retry. */
export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <section className="space-y-4">
      <ProblemBox title="This page could not be shown" detail={error.digest ? `The server failed (reference ${error.digest}); the log has the cause. If the service is still starting, retry in a moment.` : error.message} />
      <button type="button" className={CLS.secondary} onClick={reset}>Try again</button>
    </section>
  );
}
