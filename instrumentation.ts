// Next calls register() once when the server process starts: begin loading the database,
// the TF.js backend and the models right away, so /api/health turns 200 without a first request,
// then make sure an admin password exists (generated and printed once when ADMIN_PASSWORD is unset).
export async function register(): Promise<void> {
  // NEXT_RUNTIME is Next's own switch between its Node and edge bundles.
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { startRuntime } = await import('@/lib/matching/process-state');
    const { bootstrapAuth } = await import('@/lib/auth');
    // A failure is logged by the runtime and reported by /api/health.
    startRuntime()
      .then((rt) => bootstrapAuth(rt.db))
      .catch(() => undefined);
  }
}
