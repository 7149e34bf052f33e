import { PageHeader } from '@/app/_components/ui';
import { SignInForm } from './signin/signin-form.client';

/** 401: a page asked for an admin and the request had no live session or key; signing in reloads the page. */
export default function Unauthorized() {
  return (
    <section className="mx-auto max-w-sm">
      <PageHeader title="Sign in">This page is for the admin. The password is ADMIN_PASSWORD, or the one printed on the first start.</PageHeader>
      <SignInForm next={null} />
    </section>
  );
}
