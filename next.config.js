// @ts-check
/**
 * Native and wasm packages stay outside the server bundle: Node loads them from node_modules at
 * run time, where their .node/.wasm files sit beside their JavaScript.
 * @type {import('next').NextConfig}
 */
const nextConfig = {
  serverExternalPackages: [
    'hnswlib-node',
    'better-sqlite3',
    'sharp',
    'pg',
    '@prisma/adapter-better-sqlite3',
    '@prisma/adapter-pg',
    '@tensorflow/tfjs',
    '@tensorflow/tfjs-core',
    '@tensorflow/tfjs-layers',
    '@tensorflow/tfjs-converter',
    '@tensorflow/tfjs-backend-cpu',
    '@tensorflow/tfjs-backend-wasm',
    '@tensorflow/tfjs-node',
    // The embedding worker loads lib/ sources through tsx at run time.
    'tsx',
    'esbuild',
  ],
  poweredByHeader: false,
  // unauthorized() and forbidden(): pages answer 401 and 403 like the API (app/_lib/session.ts).
  experimental: { authInterrupts: true },
  // `npm test` type-checks the whole project with tsc; the build need not do it again.
  typescript: { ignoreBuildErrors: true },
};

export default nextConfig;
