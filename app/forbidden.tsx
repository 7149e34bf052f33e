import { PageHeader } from '@/app/_components/ui';

/** 403: the request's API key is a user key; the pages are for the admin. */
export default function Forbidden() {
  return (
    <section className="mx-auto max-w-md">
      <PageHeader title="Admins only">This key may call the search and enrollment API, not open the admin pages. Sign in with the admin password instead.</PageHeader>
      <a className="text-blue-700 hover:underline" href="/signin">Sign in</a>
    </section>
  );
}
