/**
 * The one door to the process environment outside the stack launcher. Settings are read through
 * schemas (resolveConfig); this is for handing the environment on (a child process, a schema's
 * env argument), so a scan of the sources can check that nothing else reads variables unseen.
 */
export function environment(): NodeJS.ProcessEnv {
  return process.env;
}
