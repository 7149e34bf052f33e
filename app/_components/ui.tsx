// Shared presentational pieces (no state, no data access): usable from server and client components.
import type { ReactNode } from 'react';

/** Tailwind classes of the common controls. */
export const CLS = {
  button: 'inline-flex items-center justify-center rounded-md bg-slate-900 px-3 py-2 text-sm font-medium text-white hover:bg-slate-700 disabled:opacity-50',
  secondary: 'inline-flex items-center justify-center rounded-md border border-slate-300 bg-white px-3 py-2 text-sm font-medium text-slate-800 hover:bg-slate-100 disabled:opacity-50',
  danger: 'inline-flex items-center justify-center rounded-md border border-red-300 bg-white px-3 py-2 text-sm font-medium text-red-700 hover:bg-red-50 disabled:opacity-50',
  input: 'block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-slate-500 focus:outline-none focus:ring-1 focus:ring-slate-500',
  label: 'block text-sm font-medium text-slate-700',
  card: 'rounded-lg border border-slate-200 bg-white p-4',
  link: 'text-blue-700 underline-offset-2 hover:underline',
  warning: 'rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900',
} as const;

/** A problem's title and detail, announced to screen readers. */
export function ProblemBox({ title, detail }: { title: string; detail?: string | null }) {
  return (
    <div role="alert" data-testid="problem" className="rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-800">
      <p className="font-medium">{title}</p>
      {detail ? <p className="mt-1">{detail}</p> : null}
    </div>
  );
}

/** What a list shows when it has no items yet. */
export function EmptyState({ children }: { children: ReactNode }) {
  return <p className="rounded-md border border-dashed border-slate-300 p-6 text-center text-sm text-slate-500">{children}</p>;
}

/** Page title with an optional line under it. */
export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="mb-6">
      <h1 className="text-2xl font-semibold">{title}</h1>
      {children ? <div className="mt-1 text-slate-600">{children}</div> : null}
    </div>
  );
}

/** A distance drawn against the threshold: the bar is the distance, the tick the threshold. */
export function DistanceBar({ distance, threshold }: { distance: number | null; threshold: number }) {
  const scale = Math.max(threshold * 2, distance ?? 0, 1e-6);
  const pct = (v: number) => `${Math.min(100, (v / scale) * 100).toFixed(1)}%`;
  const under = distance !== null && distance <= threshold;
  return (
    <div className="w-full" aria-label={`distance ${distance === null ? 'none' : distance.toFixed(3)}, threshold ${threshold.toFixed(3)}`}>
      <div className="relative h-3 w-full rounded bg-slate-100">
        {distance !== null ? <div className={`h-3 rounded ${under ? 'bg-emerald-500' : 'bg-amber-500'}`} style={{ width: pct(distance) }} /> : null}
        <div className="absolute -top-1 h-5 w-0.5 bg-slate-900" style={{ left: pct(threshold) }} title="threshold" />
      </div>
      <p className="mt-1 text-xs text-slate-500">
        distance {distance === null ? '—' : distance.toFixed(3)} · threshold {threshold.toFixed(3)} (smaller is closer; at or under the threshold is a match)
      </p>
    </div>
  );
}

/** `name` between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE, for plain-text places CSS cannot reach (confirm dialogs, titles). */
export function isolated(name: string): string {
  return `\u2068${name}\u2069`;
}
