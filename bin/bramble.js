#!/usr/bin/env node
// The built CLI lives in dist/; `npm run build` (run by `npm start` and `npm test`) makes it.
import { main } from '../dist/cli/main.js';

main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(`error: ${err instanceof Error ? err.message : String(err)}`); process.exitCode = 1; },
);
