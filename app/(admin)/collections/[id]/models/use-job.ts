// Follows a job through its server-sent events (GET /api/jobs/{id}/events): the latest job state,
// and how many events arrived. Reloading the page resumes: the page hands the running job back in.
import { useEffect, useState } from 'react';
import type { JobDto } from '@/lib/matching';

/** The followed job (null: none yet) and the number of `job` events received. */
export function useJob(initial: JobDto | null): { job: JobDto | null; events: number; follow: (job: JobDto) => void } {
  const [job, setJob] = useState<JobDto | null>(initial);
  const [events, setEvents] = useState(0);
  const followed = job && (job.status === 'queued' || job.status === 'running') ? job.id : null;
  useEffect(() => {
    if (!followed) return;
    const source = new EventSource(`/api/jobs/${followed}/events`);
    source.addEventListener('job', (e) => {
      setJob(JSON.parse((e as MessageEvent<string>).data) as JobDto);
      setEvents((n) => n + 1);
    });
    source.addEventListener('end', () => source.close());
    source.onerror = () => source.close();
    return () => source.close();
  }, [followed]);
  return { job, events, follow: setJob };
}
