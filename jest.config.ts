import type { Config } from 'jest';

/**
 * Jest runs the TypeScript sources as native ESM (NestJS 12 is ESM-only), so it is started with
 * `node --experimental-vm-modules` and ts-jest only transpiles; `npm run typecheck` does the type checking.
 */
const config: Config = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/packages', '<rootDir>/sample-app'],
  modulePathIgnorePatterns: ['<rootDir>/sample-app/dist', '<rootDir>/packages/nestjs-oso/dist'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // Mercurius (through @fastify/static and light-my-request) requires content-disposition 3 and cookie 2, which are
    // ESM-only; jest's CommonJS loader cannot require them before Node 24.9, so the CommonJS releases with the same
    // exports stand in (express 5 and engine.io use the same functions).
    '^content-disposition$': 'content-disposition-cjs',
    '^cookie$': 'cookie-cjs',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
  testTimeout: 30_000,
};

export default config;
