/** The KEY=value format of `.stack/env`, which shells can `source` too. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) continue;
    const key = trimmed.slice(0, eq).replace(/^export\s+/, '');
    let value = trimmed.slice(eq + 1);
    if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) value = value.slice(1, -1);
    out[key] = value;
  }
  return out;
}

export function formatEnvFile(values: Record<string, string>, header?: string): string {
  const lines = Object.entries(values).map(([k, v]) => `${k}='${v.replace(/'/g, '')}'`);
  return [...(header ? [`# ${header}`] : []), ...lines, ''].join('\n');
}
