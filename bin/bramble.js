#!/usr/bin/env node
// The built CLI lives in dist/; `npm run build` (run by `npm start` and `npm test`) makes it.
//
// `bramble agent` runs for months on small devices, so it takes a lean path (docs/agent.md, "Memory"):
// it does not load dist/cli/main.js, which imports every command and with them the API schemas
// (typebox, ~250 modules), the HTTP client and yaml; it builds just the agent command instead.
const args = process.argv.slice(2);

if (args[0] === 'agent') {
  runAgentCommand().then(exit, fail);
} else {
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
  const [{ Command, CommanderError }, { addAgentFlags, agentDescription, runAgent }, { preferLeanLogger }] = await Promise.all([
    import('commander'), import('../dist/cli/commands/agent.js'), import('../dist/log/logger.js'),
  ]);
  // pino's NDJSON lines without pino (~2.5 MB): src/log/lean.ts. BRAMBLE_AGENT_LOGGER=pino keeps pino.
  preferLeanLogger();
  let code = 0;
  const program = new Command('bramble').exitOverride()
    .showHelpAfterError('(run "bramble agent --help" for usage)');
  addAgentFlags(program.command('agent').description(agentDescription))
    .action(async (opts) => {
      try {
        code = await runAgent(opts);
      } catch (err) {
        // runAgent's own InvalidArgumentError (no token) is a CommanderError that nobody printed yet.
        fail(err);
        code = 1;
      }
    });
  try {
    await program.parseAsync(process.argv);
    return code;
  } catch (err) {
    // Commander has already printed its own message (unknown option, missing argument, help).
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
}
