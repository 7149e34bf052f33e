import { PageHeader } from '@/app/_components/ui';
import { SignInForm } from './signin-form.client';

export const dynamic = 'force-dynamic';

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const { next } = await searchParams;
  // Only same-site paths: never bounce to another origin after sign-in.
  const target = next && next.startsWith('/') && !next.startsWith('//') ? next : '/collections';
  return (
    <section className="mx-auto max-w-sm">
      <PageHeader title="Sign in">The admin password is ADMIN_PASSWORD, or the one printed on the first start.</PageHeader>
      <SignInForm next={target} />
    </section>
  );
}
