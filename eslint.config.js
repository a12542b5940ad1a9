// Lint: typescript-eslint strict, plus the import rules that keep Bramble's dependency
// direction visible and checked (see docs/architecture.md, "Who may import whom").
import tseslint from 'typescript-eslint';

const component = (name) => [`**/${name}/**`, `**/${name}.js`];
const masterSide = ['apiserver', 'store', 'scheduler', 'controllers', 'broker', 'nodegateway', 'master', 'console'];
const all = ['api', 'protocol', 'store', 'apiserver', 'client', 'cli', 'master', 'agent', 'scheduler', 'controllers', 'broker', 'nodegateway', 'proxy', 'console', 'flash', 'log'];

function forbid(names, why) {
  return ['error', { patterns: [{ group: names.flatMap(component), message: why }] }];
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/results/**', 'scripts/**', 'bin/**', 'eslint.config.js'] },
  ...tseslint.configs.strict,
  {
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-console': 'off',
    },
  },
  // Only the API server opens the store; everything else is an API client.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/apiserver/**', 'src/store/**'],
    rules: { 'no-restricted-imports': forbid(['store'], 'Only src/apiserver imports src/store: everything else goes through the API.') },
  },
  // Later blocks replace this rule for their files (flat config does not merge rule options), so each lists store too.
  // src/api and src/protocol are leaves: shared by both sides, they import no component.
  {
    files: ['src/api/**/*.ts', 'src/protocol/**/*.ts'],
    rules: { 'no-restricted-imports': forbid(all.filter((n) => n !== 'api' && n !== 'protocol'), 'src/api and src/protocol are leaves: they import no other component.') },
  },
  {
    files: ['src/store/**/*.ts'],
    rules: { 'no-restricted-imports': forbid(all.filter((n) => n !== 'store' && n !== 'api' && n !== 'log'), 'src/store depends only on src/api.') },
  },
  // The agent runs on the device: it never imports master components.
  {
    files: ['src/agent/**/*.ts', 'src/proxy/**/*.ts'],
    rules: { 'no-restricted-imports': forbid(masterSide, 'The agent (and its proxy) never imports master components; it talks to the master over MQTT.') },
  },
  // The CLI talks to the cluster only through the API client (it may start a master or agent process).
  {
    files: ['src/cli/**/*.ts'],
    rules: { 'no-restricted-imports': forbid(['store', 'apiserver', 'scheduler', 'controllers', 'broker', 'nodegateway', 'console'], 'The CLI talks to the cluster only through src/client.') },
  },
  {
    files: ['src/client/**/*.ts'],
    rules: { 'no-restricted-imports': forbid(all.filter((n) => n !== 'client' && n !== 'api' && n !== 'log'), 'src/client depends only on src/api.') },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
