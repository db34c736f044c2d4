'use strict';
// Lint for the TypeScript sources (lib/): typescript-eslint's recommended type-checked rules, tuned to what this
// codebase keeps: every promise awaited or handled, no promise where a callback expects void, no unused names, type-only
// imports marked as such. `npm run lint`. The tests and scripts are plain JavaScript and not linted here.
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

module.exports = tseslint.config(
  { ignores: ['dist/**', 'build/**', 'build-*/**', 'node_modules/**', 'prebuilds/**'] },
  {
    files: ['lib/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { project: './tsconfig.json', tsconfigRootDir: __dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // `typeof import('./x')` stays allowed: it types a lazy require() without loading the module.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      // require() only where loading is deliberately lazy (a runtime hook starts fast: issue 13), each with a
      // disable comment that says so.
      '@typescript-eslint/no-require-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // An async method that answers synchronously (getPids() over getPidsSync()) still turns a throw into a rejection,
      // which its callers rely on: such methods keep `async` without an await.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      // A `let` read by a closure made before its one assignment (a timer the callback clears) stays `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // The entry point defines its lazily loaded names as getters on `exports` (an `any` in TypeScript), after
    // `exports.NAME =` placeholders that make them visible to ES-module importers (cjs-module-lexer).
    files: ['lib/index.ts'],
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
