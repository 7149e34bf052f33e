// Follows a job through its server-sent events (GET /api/jobs/{id}/events): the latest job state,
// and how many events arrived. Reloading the page resumes: the page hands the running job back in.
// A job that starts or ends re-renders the page's server parts (recent jobs, kept versions).
import { useEffect, useState } from 'react';
import { useRouter } from 'next/navigation';
import type { JobDto } from '@/lib/matching';

const isActive = (job: JobDto | null) => job !== null && (job.status === 'queued' || job.status === 'running');

/** The followed job (null: none yet) and the number of `job` events received. */
export function useJob(initial: JobDto | null): { job: JobDto | null; events: number; follow: (job: JobDto) => void } {
  const [job, setJob] = useState<JobDto | null>(initial);
  const [events, setEvents] = useState(0);
  const router = useRouter();
  const followed = isActive(job) ? job!.id : null;
  useEffect(() => {
    if (!followed) return;
    const source = new EventSource(`/api/jobs/${followed}/events`);
    source.addEventListener('job', (e) => {
      const next = JSON.parse((e as MessageEvent<string>).data) as JobDto;
      setJob(next);
      setEvents((n) => n + 1);
      if (!isActive(next)) router.refresh();
    });
    source.addEventListener('end', () => source.close());
    source.onerror = () => source.close();
    return () => source.close();
  }, [followed, router]);
  const follow = (next: JobDto) => {
    setJob(next);
    router.refresh();
  };
  return { job, events, follow };
}
