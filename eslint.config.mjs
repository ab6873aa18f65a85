// Lint rules follow the JupyterLab extension template's conventions.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

/**
 * The service's layers import downward only (docs/architecture.md): what
 * each directory of service/src may not import. The configuration module
 * may be imported for its types only.
 */
const ABOVE_ALL = ['ship', 'alerts', 'hub', 'api', 'doctor', 'main', 'cli'];
const SERVICE_LAYERS = {
  common: ['spool', 'parse', 'store', 'config', ...ABOVE_ALL],
  spool: ['parse', 'store', ...ABOVE_ALL],
  parse: ['spool', 'store', ...ABOVE_ALL],
  store: ['spool', 'parse', ...ABOVE_ALL],
  ship: ['alerts', 'hub', 'api', 'doctor', 'main', 'cli'],
  alerts: ['ship', 'hub', 'api', 'doctor', 'main', 'cli']
};
/** Import paths of a module of service/src from one or two levels below it. */
const relativeTo = name =>
  ['../', '../../'].flatMap(up => [`${up}${name}`, `${up}${name}/*`]);
const layerRules = Object.entries(SERVICE_LAYERS).map(([layer, above]) => ({
  files: [`service/src/${layer}/**/*.ts`],
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: above
              .filter(name => name !== 'config')
              .flatMap(name => relativeTo(name)),
            message: `service/src/${layer} imports only from layers below it (docs/architecture.md): move what both need below both.`
          },
          above.includes('config')
            ? {
                group: relativeTo('config'),
                message: `service/src/${layer} imports nothing above it, the configuration included.`
              }
            : {
                group: relativeTo('config'),
                allowTypeImports: true,
                message:
                  'the configuration module may be imported for its types only.'
              }
        ]
      }
    ]
  }
}));

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/lib/**',
      '.venv/**',
      '.tflog-test/**',
      '.tflog-dev/**',
      'tflog/service/**',
      'tflog/labextension/**',
      'testing/elasticsearch/target/**',
      'coverage/**'
    ]
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/naming-convention': [
        'error',
        {
          selector: 'interface',
          format: ['PascalCase'],
          custom: { regex: '^I[A-Z]', match: true }
        }
      ],
      '@typescript-eslint/no-unused-vars': ['error', { args: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-namespace': 'off',
      '@typescript-eslint/no-use-before-define': 'off',
      curly: ['error', 'all'],
      eqeqeq: 'error',
      'prefer-arrow-callback': 'error',
      quotes: [
        'error',
        'single',
        { avoidEscape: true, allowTemplateLiterals: false }
      ]
    }
  },
  ...layerRules,
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly'
      }
    }
  }
);
