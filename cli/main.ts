#!/usr/bin/env node
/** Entry point of the `retail-etl` binary. */
import { CommanderError } from 'commander';
import { loadStackEnv } from '../lib/stack-env.js';
import { stackPaths } from '../stack/paths.js';
import { reportError } from './output.js';
import { buildProgram } from './program.js';

loadStackEnv(stackPaths().envFile);
const program = buildProgram();
const verbose = process.argv.includes('--verbose');

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // commander already printed the message (unknown option, --help, --version).
    process.exitCode = err.exitCode;
  } else {
    process.exitCode = reportError(err, verbose);
  }
}
