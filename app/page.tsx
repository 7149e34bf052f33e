import { runtimeStatus } from '@/lib/matching';

export const dynamic = 'force-dynamic';

export default function HomePage() {
  const status = runtimeStatus();
  return (
    <section className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold">Few-shot face and object matching</h1>
        <p className="mt-2 text-slate-600">
          Enroll a few images per identity, then search with a new image: the nearest identities, or a clear
          &ldquo;unknown&rdquo; under a threshold learned for your target false-accept rate.
        </p>
      </div>
      <dl className="grid grid-cols-1 gap-4 rounded-lg border border-slate-200 bg-white p-4 sm:grid-cols-4" aria-label="Service status">
        <div>
          <dt className="text-sm text-slate-500">Status</dt>
          <dd className="font-medium" data-testid="status">{status.status}</dd>
        </div>
        <div>
          <dt className="text-sm text-slate-500">Database</dt>
          <dd className="font-medium">{status.database.kind}</dd>
        </div>
        <div>
          <dt className="text-sm text-slate-500">TF.js backend</dt>
          <dd className="font-medium">{status.backend ?? 'loading…'}</dd>
        </div>
        <div>
          <dt className="text-sm text-slate-500">Models</dt>
          <dd className="font-medium">
            {status.models.length === 0 ? 'loading…' : status.models.map((m) => `${m.kind}: ${m.version}`).join(', ')}
          </dd>
        </div>
      </dl>
      <ol className="grid gap-4 sm:grid-cols-3" aria-label="Get started">
        <li className="rounded-lg border border-slate-200 bg-white p-4">
          <a className="font-medium text-blue-700 hover:underline" href="/collections">1. Create a collection</a>
          <p className="mt-1 text-sm text-slate-600">Faces or objects; pick how many strangers in a hundred you accept.</p>
        </li>
        <li className="rounded-lg border border-slate-200 bg-white p-4">
          <a className="font-medium text-blue-700 hover:underline" href="/collections">2. Enroll a few images</a>
          <p className="mt-1 text-sm text-slate-600">3 to 5 per identity, in the page, as a zip, or with <code>npm run enroll</code>.</p>
        </li>
        <li className="rounded-lg border border-slate-200 bg-white p-4">
          <a className="font-medium text-blue-700 hover:underline" href="/search">3. Search</a>
          <p className="mt-1 text-sm text-slate-600">The nearest identities, or “unknown”, with the distance against the threshold.</p>
        </li>
      </ol>
    </section>
  );
}
