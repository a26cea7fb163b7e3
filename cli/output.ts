/** How the CLI talks to a person: progress on stderr, results on stdout, errors as one line. */
import { isEtlError } from '../lib/errors.js';
import { redact } from '../lib/redact.js';

export function progress(message: string): void {
  process.stderr.write(`• ${redact(message)}\n`);
}

/** One line naming the problem and what to do; the stack trace only with --verbose. */
export function reportError(err: unknown, verbose: boolean): number {
  if (isEtlError(err)) {
    process.stderr.write(`error: ${redact(err.toLine())}\n`);
  } else {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`error: ${redact(message)}\n`);
  }
  if (verbose && err instanceof Error && err.stack) process.stderr.write(redact(err.stack) + '\n');
  return 1;
}
