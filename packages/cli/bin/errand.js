#!/usr/bin/env node
// The command npm links. It lives outside dist/ so that it exists before the build: `npm ci` on
// a fresh clone of the workspace links only bins whose file is already there.
import '../dist/cli.js';
