// @ts-check

// Next streams each page's data in inline <script> tags, so scripts need 'unsafe-inline' (nonces
// would need a proxy and per-request rendering); the gains are framing, plugins, base and form targets.
const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  // blob: is the search page's preview of the chosen query image.
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');
// API responses are data, never documents to render.
const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/** Headers of every response, pages and API. */
const SECURITY_HEADERS = [
  { key: 'Content-Security-Policy', value: PAGE_CSP },
  { key: 'X-Frame-Options', value: 'DENY' },
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'Referrer-Policy', value: 'same-origin' },
];

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
    'onnxruntime-node',
  ],
  poweredByHeader: false,
  // A later entry overrides an earlier one for the same header, so /api gets its stricter CSP.
  async headers() {
    return [
      { source: '/:path*', headers: SECURITY_HEADERS },
      { source: '/api/:path*', headers: [{ key: 'Content-Security-Policy', value: API_CSP }] },
    ];
  },
  // unauthorized() and forbidden(): pages answer 401 and 403 like the API (app/_lib/session.ts).
  experimental: { authInterrupts: true },
  // `npm test` type-checks the whole project with tsc; the build need not do it again.
  typescript: { ignoreBuildErrors: true },
};

export default nextConfig;
