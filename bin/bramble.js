#!/usr/bin/env node
// The built CLI lives in dist/; `npm run build` (run by `npm start` and `npm test`) makes it.
//
// `bramble agent` runs for months on small devices, so it takes a lean path (docs/agent.md, "Memory"):
// it does not load dist/cli/main.js, which imports every command and with them the API schemas
// (typebox, ~250 modules), the HTTP client, yaml and commander; it parses just the agent's flags.
const args = process.argv.slice(2);

if (args[0] === 'agent') {
  runAgentCommand().then(exit, fail);
} else {
  if ((args[0] === 'master' || args[0] === 'up') && process.env.BRAMBLE_MASTER_GC !== 'default') {
    // V8 grows the old generation by up to 4× after a GC when the program allocates fast (a burst
    // of thousands of pods) and keeps those pages long after: 1.5× keeps the master's heap close
    // to what it holds (docs/architecture.md, "Master memory"). BRAMBLE_MASTER_GC=default keeps V8's.
    const { setFlagsFromString } = await import('node:v8');
    setFlagsFromString('--heap-growing-percent=50');
  }
  const { main } = await import('../dist/cli/main.js');
  main(process.argv).then(exit, fail);
}

function exit(code) { process.exitCode = code; }

function fail(err) {
  const stack = process.env.BRAMBLE_DEBUG && err instanceof Error ? `\n${err.stack ?? ''}` : '';
  console.error(`error: ${err instanceof Error ? err.message : String(err)}${stack}`);
  process.exitCode = 1;
}

async function runAgentCommand() {
  // No optimizing compilers (TurboFan, Maglev) for the agent: compiling hot code while the agent
  // loads leaves ~15 MB of compiler memory resident for good, while its idle work (a reconcile
  // pass every 2 s, a status every 10 s) runs fine in the interpreter and Sparkplug (measured:
  // ~0.8 % of a core with Docker and 10 pods). Set before the agent's modules load;
  // BRAMBLE_AGENT_JIT=1 keeps V8's defaults.
  if (process.env.BRAMBLE_AGENT_JIT !== '1') {
    const { setFlagsFromString } = await import('node:v8');
    setFlagsFromString('--no-opt');
    setFlagsFromString('--no-maglev');
  }
  // The young generation stays at its initial size (1 MB semi-spaces) instead of growing to 16 MB
  // ones during a burst of work (pods starting) and keeping them resident afterwards. Unlike
  // --max-semi-space-size, this flag works when set at run time. BRAMBLE_AGENT_GC=default keeps V8's.
  if (process.env.BRAMBLE_AGENT_GC !== 'default') {
    const { setFlagsFromString } = await import('node:v8');
    setFlagsFromString('--semi-space-growth-factor=1');
  }
  const [{ parseAgentArgs }, { runAgent }, { preferLeanLogger }] = await Promise.all([
    import('../dist/cli/commands/agent-flags.js'), import('../dist/cli/commands/agent.js'), import('../dist/log/logger.js'),
  ]);
  // The flags with util.parseArgs, not commander (~1.6 MB kept for good): same help text, errors
  // and exit codes as commander gives them (src/cli/commands/agent-flags.ts).
  const parsed = parseAgentArgs(args.slice(1), process.stdout.isTTY ? process.stdout.columns : 80);
  if (parsed.kind === 'help') {
    process.stdout.write(parsed.text);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`${parsed.message}\n(run "bramble agent --help" for usage)\n`);
    return 1;
  }
  // pino's NDJSON lines without pino (~2.5 MB): src/log/lean.ts. BRAMBLE_AGENT_LOGGER=pino keeps pino.
  preferLeanLogger();
  return runAgent(parsed.flags);
}
