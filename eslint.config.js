// Lint: typescript-eslint's recommended rules plus the module map of ../shared/STYLE.md (what may
// import what), the one-owner rule for native dependencies, and the one reader of process.env.
import tseslint from 'typescript-eslint';

const LIB = ['auth', 'calibration', 'config', 'datasets', 'db', 'embedder', 'errors', 'evaluation', 'faces', 'http', 'imaging', 'index', 'jobs', 'matching', 'plots', 'training'];

/** What each lib folder may import (besides itself). `type:` entries are allowed as `import type` only. */
const MAP = {
  config: [],
  errors: [],
  calibration: ['errors'],
  imaging: ['errors'],
  index: ['errors'],
  plots: ['errors'],
  embedder: ['errors', 'type:imaging', 'type:calibration'],
  datasets: ['errors', 'imaging'],
  // The data-access layer: typed rows and the JSON columns' zod schemas; it needs nothing above lib/errors.
  db: ['errors'],
  jobs: ['db', 'errors'],
  auth: ['db', 'errors', 'config'],
  // The HTTP contract is built from the domain's schemas: lib/matching/contract (zod only, see CONTRACT below), never a use case.
  http: ['errors', 'auth', 'config', 'matching/contract'],
  training: ['embedder', 'calibration', 'datasets', 'plots', 'imaging', 'errors'],
  faces: ['errors', 'imaging', 'embedder', 'calibration', 'training', 'datasets', 'type:evaluation'],
  evaluation: ['datasets', 'embedder', 'faces', 'index', 'calibration', 'training', 'imaging', 'errors'],
  matching: ['db', 'imaging', 'embedder', 'faces', 'index', 'calibration', 'training', 'datasets', 'plots', 'jobs', 'errors', 'config', 'type:auth'],
};

/** Native or heavy dependencies and the only files allowed to import them. */
const OWNERS = [
  { names: ['sharp'], owner: 'lib/imaging/**' },
  { names: ['@tensorflow/*'], owner: 'lib/embedder/backend.ts' },
  { names: ['hnswlib-node'], owner: 'lib/index/ann.ts' },
  { names: ['onnxruntime-node', 'onnxruntime-common'], owner: 'lib/embedder/onnx-runtime.ts' },
  { names: ['@vladmandic/face-api', '@vladmandic/face-api/*'], owner: 'lib/faces/face-api.ts' },
  { names: ['@prisma/*', 'better-sqlite3', 'pg', '@/lib/db/generated', '@/lib/db/generated/**'], owner: 'lib/db/**' },
];

const ownerPatterns = (file) =>
  OWNERS.filter((o) => o.owner !== file && !(o.owner.endsWith('/**') && file.startsWith(o.owner.slice(0, -2)))).map((o) => ({
    group: o.names,
    message: `only ${o.owner} may import ${o.names.join(', ')}; go through its API`,
  }));

/** Inside lib/matching: the runtime layer (runtime/) imports neither a use case nor models/; the contract's schemas it may. */
const MATCHING_RUNTIME = {
  files: ['lib/matching/runtime/**/*.ts'],
  patterns: [{ regex: '^@/lib/matching(/(?!runtime/|contract(/|$)).*)?$', message: 'lib/matching/runtime imports no use case and nothing of lib/matching/models (module map, ../shared/STYLE.md section 1)' }],
};

/**
 * lib/matching/contract: the zod schemas of the use cases' inputs and DTOs. lib/http imports it, so
 * it imports no lib folder but lib/errors and, of lib/matching, only names.ts (the name rules).
 */
const CONTRACT = {
  files: ['lib/matching/contract/**/*.ts'],
  allowed: ['errors'],
  patterns: [{ regex: '^@/lib/matching(/(?!(names|contract(/.*)?)$).*)?$', message: 'lib/matching/contract imports zod and lib/matching/names only: lib/http builds on it (module map, ../shared/STYLE.md section 1)' }],
};

function restrict(folder, allowed, file, extra = []) {
  const plain = new Set(allowed.filter((a) => !a.startsWith('type:')));
  const typeOnly = allowed.filter((a) => a.startsWith('type:')).map((a) => a.slice(5));
  const patterns = [];
  for (const other of LIB) {
    if (other === folder) continue;
    const exceptions = [...plain].filter((a) => a.startsWith(`${other}/`));
    if (plain.has(other)) continue;
    // With exceptions (a single allowed file), a regex: gitignore-style groups cannot re-include below a match.
    const allowedFiles = exceptions.map((e) => e.slice(other.length + 1)).join('|');
    patterns.push({
      ...(exceptions.length ? { regex: `^@/lib/${other}(/(?!(${allowedFiles})$).*)?$` } : { group: [`@/lib/${other}`, `@/lib/${other}/**`] }),
      allowTypeImports: typeOnly.includes(other),
      message: `lib/${folder} may not import lib/${other} (module map, ../shared/STYLE.md section 1)`,
    });
  }
  patterns.push({ group: ['../*', '@/app/**', 'next', 'next/*', 'react'], message: `lib/${folder}: import other lib folders through @/lib/<folder>; never app/, Next or React` });
  return {
    files: [file ?? `lib/${folder}/**/*.ts`],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [...patterns, ...extra, ...ownerPatterns(file ?? `lib/${folder}/`)] }] },
  };
}

const pageRule = {
  files: ['app/**/page.tsx', 'app/**/layout.tsx'],
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: [
          { group: ['@/lib/**', '!@/lib/matching', '!@/lib/matching/**', '!@/lib/auth', '!@/lib/auth/**', '!@/lib/config', '!@/lib/config/**', '!@/lib/plots', '!@/lib/plots/**'], message: 'pages read through lib/matching (module map)' },
          ...ownerPatterns('app/'),
        ],
      },
    ],
  },
};

const routeRule = {
  files: ['app/**/route.ts'],
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: [
          { group: ['@/lib/**', '!@/lib/http', '!@/lib/http/**', '!@/lib/auth', '!@/lib/auth/**', '!@/lib/matching', '!@/lib/matching/**'], message: 'route handlers call lib/http, lib/auth and lib/matching only (module map)' },
          ...ownerPatterns('app/'),
        ],
      },
    ],
  },
};

// Client components are named *.client.tsx: they may only `import type` from lib.
const clientRule = {
  files: ['app/**/*.client.tsx'],
  rules: {
    '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: ['@/lib/**'], allowTypeImports: true, message: 'client components import only types from lib' }] }],
  },
};

const scriptsRule = {
  files: ['scripts/**/*.ts'],
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      { patterns: [{ group: ['@/lib/http', '@/lib/http/**', '@/app/**'], message: 'scripts use lib (not lib/http) and never app/' }, ...ownerPatterns('scripts/')] },
    ],
  },
};

const envRule = {
  files: ['lib/**/*.ts', 'app/**/*.ts', 'app/**/*.tsx'],
  ignores: ['lib/config/env.ts'],
  rules: {
    'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read configuration from lib/config/env.ts (or take it as an argument)' }],
  },
};

export default tseslint.config(
  { ignores: ['node_modules/**', '.next/**', 'dist/**', 'lib/db/generated/**', 'data/**', 'runs/**', 'models/**', 'bench/results/**', 'next-env.d.ts', 'test-results/**', 'playwright-report/**', 'tmp/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...Object.entries(MAP).map(([folder, allowed]) => restrict(folder, allowed)),
  // A later block's options replace an earlier one's, so the runtime layer's block repeats the matching map.
  restrict('matching', MAP.matching, MATCHING_RUNTIME.files[0], MATCHING_RUNTIME.patterns),
  restrict('matching', CONTRACT.allowed, CONTRACT.files[0], CONTRACT.patterns),
  // The single-file owners get their folder's map without their own dependency's ban.
  ...OWNERS.filter((o) => o.owner.endsWith('.ts')).map((o) => {
    const folder = o.owner.split('/')[1];
    return restrict(folder, MAP[folder], o.owner);
  }),
  pageRule,
  routeRule,
  clientRule,
  scriptsRule,
  envRule,
);
