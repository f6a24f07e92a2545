// ESLint for the whole workspace (flat config): the recommended rules of ESLint and typescript-eslint, and two rules
// of this project: only src/engine/oso-internals.ts may reach into oso's internals (`oso/dist/*`), and the library's
// folders import one way, from the module down to the engine.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const OSO_INTERNALS = {
  group: ['oso/dist/*'],
  message: "oso's internals are imported in one place only: take them from src/engine/oso-internals.ts.",
};

// The folders of packages/nestjs-oso/src, from the top down; a folder imports only from the folders below it. The
// module's contract (its options interface, constants and definition token) imports nothing of the library and is
// read by every folder; the entry points (index.ts, cli/, testing/) may import from any.
const LAYERS = [
  'module',
  'http',
  'policy',
  'decorators',
  'authorization',
  'transports',
  'data-filtering',
  'compiled-decisions',
  'errors',
  'engine',
];
const MODULE_CONTRACT = '(?!oso-module-options\\.interface|oso\\.constants|oso\\.module-definition)';
const layering = LAYERS.slice(1).map((layer, index) => {
  const above = LAYERS.slice(0, index + 1);
  return {
    files: [`packages/nestjs-oso/src/${layer}/**/*.ts`],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            OSO_INTERNALS,
            {
              regex: `^(\\.\\./)+(module/${MODULE_CONTRACT}|(${above.slice(1).join('|') || '(?!)'})/)`,
              message: `${layer}/ sits below ${above.join('/, ')}/: imports run from the module down to the engine.`,
            },
          ],
        },
      ],
    },
  };
});

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', 'bench/results/**', 'sample-app/data/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'no-restricted-imports': ['error', { patterns: [OSO_INTERNALS] }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  ...layering,
  {
    files: ['packages/nestjs-oso/src/engine/oso-internals.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', '**/test/**/*.ts'],
    languageOptions: { globals: { ...globals.jest } },
  },
);
