/**
 * Secrets never reach logs or error messages: every URL or string that may carry a password goes
 * through here before it is printed.
 */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]+:)([^@/\s]+)(@)/gi;
const KEY_VALUE = /\b(password|passwd|secret|token|api[_-]?key)=([^&\s]+)/gi;

export function redact(text: string): string {
  return text.replace(URL_PASSWORD, '$1***$3').replace(KEY_VALUE, '$1=***');
}
