/** The shape every natively started server has; stack/native.ts drives them in order. */
import type { StackPaths } from './paths.js';

export interface StackContext {
  paths: StackPaths;
  secrets: Record<string, string>;
  /** Progress output for long work (downloads, first-time init). */
  progress(message: string): void;
}

export interface LaunchSpec {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

export interface NativeComponent {
  /** Short id: PID file, log file and `make status` row. */
  name: string;
  title: string;
  /** Every port it binds: all are checked free before anything starts. */
  ports: readonly number[];
  stopSignal: NodeJS.Signals;
  startTimeoutMs: number;
  /** Cheap checks for what must be installed (Java…), run before any port is touched. */
  preflight?(ctx: StackContext): void;
  /** Download or install what it needs; cached, so the second call is fast. */
  provision(ctx: StackContext): Promise<void>;
  /** First-time data initialisation (idempotent). */
  prepare(ctx: StackContext): Promise<void>;
  launch(ctx: StackContext): LaunchSpec;
  healthy(ctx: StackContext): Promise<boolean>;
  /**
   * Not healthy yet, but making progress (a processor restoring its state: "restoring 63 %"; a
   * consumer waiting for its group: "joining consumer group …"): `up` and the supervisor keep
   * waiting while it says so, past the start timeout (stack/start-progress.ts).
   */
  progress?(ctx: StackContext): Promise<string | undefined>;
  /** Work after the first successful health check (roles, databases). */
  afterStart?(ctx: StackContext): Promise<void>;
  /** Environment variables it contributes to `.stack/env`. */
  env(ctx: StackContext): Record<string, string>;
  /** The URL printed by `make up`. */
  url: string;
}
