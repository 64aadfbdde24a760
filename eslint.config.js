// Lint rules that protect Dash's invariants: no floating promises anywhere, and workflow code that
// stays deterministic (it may import only @temporalio/workflow, other workflow modules and types).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'dist-bench/**',
      'node_modules/**',
      'drizzle/migrations/**',
      'bin/**',
      'scripts/**',
      'eslint.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Tests read untyped JSON responses; `any` there is deliberate.
    files: ['tests/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!@temporalio/workflow$|\\./|\\.\\./activities/).*',
              allowTypeImports: true,
              message:
                'Workflow code may import only @temporalio/workflow, other workflow files and activity types.',
            },
            {
              regex: '^\\.\\./activities/',
              allowTypeImports: true,
              message: 'Import activities into workflows with `import type` only.',
            },
          ],
        },
      ],
    },
  },
);
