import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { sessionPrincipal } from '@/app/_lib/session';
import { SignOutButton } from '@/app/_components/sign-out.client';
import './globals.css';

export const metadata: Metadata = {
  title: 'Fewshot Match',
  description: 'Few-shot face and object matching with calibrated thresholds',
};

const LINKS = [
  ['/search', 'Search'],
  ['/collections', 'Collections'],
  ['/models', 'Models'],
  ['/keys', 'API keys'],
  ['/audit', 'Audit log'],
  ['/docs', 'API docs'],
] as const;

/** The session, or none while the service is still starting (pages show their own state then). */
async function signedIn(): Promise<boolean> {
  try {
    return (await sessionPrincipal()) !== null;
  } catch {
    return false;
  }
}

export default async function RootLayout({ children }: { children: ReactNode }) {
  const session = await signedIn();
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 text-slate-900 antialiased">
        <header className="border-b border-slate-200 bg-white">
          <nav className="mx-auto flex max-w-5xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3" aria-label="Main">
            <a href="/" className="font-semibold">Fewshot Match</a>
            {LINKS.map(([href, label]) => (
              <a key={href} href={href} className="text-sm text-slate-600 hover:text-slate-900">{label}</a>
            ))}
            <span className="ml-auto">
              {session ? <SignOutButton /> : <a href="/signin" className="text-sm font-medium text-slate-900">Sign in</a>}
            </span>
          </nav>
        </header>
        <main className="mx-auto max-w-5xl px-4 py-8">{children}</main>
      </body>
    </html>
  );
}
