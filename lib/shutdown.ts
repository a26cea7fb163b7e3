/**
 * Long-running commands stop cleanly on SIGTERM or SIGINT: the handler flushes and commits, then
 * the process exits 0. A second signal exits at once.
 */
import type { Logger } from './logger.js';

export function onShutdown(logger: Logger, stop: (signal: NodeJS.Signals) => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn('second signal: exiting without waiting', { signal });
      process.exit(1);
    }
    stopping = true;
    logger.info('shutting down', { signal });
    stop(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('shutdown failed', { err });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}
