// Next calls register() once when the server process starts: begin loading the database,
// the TF.js backend and the models right away, so /api/health turns 200 without a first request.
export async function register(): Promise<void> {
  // NEXT_RUNTIME is Next's own switch between its Node and edge bundles.
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { startRuntime } = await import('@/lib/matching/runtime');
    startRuntime().catch(() => undefined); // the failure is logged and reported by /api/health
  }
}
