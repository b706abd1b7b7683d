#!/usr/bin/env node
import { processIo } from './io.js';
import { run } from './run.js';

// performance.now() counts from the start of the process: --timeout then bounds
// everything a container waits for, Node's own start and the driver's load included.
const code = await run(process.argv.slice(2), processIo(), 0);
// A driver may keep a socket or timer alive after close(); the verdict is out, so leave now.
process.exit(code);
