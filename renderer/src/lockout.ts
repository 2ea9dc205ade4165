/**
 * The question the UI asks before a block that covers the operator's own address. The server's
 * 409 explains the risk and ends with how to force it from the API or the CLI; in the browser the
 * answer is the dialog's button, so that last sentence is left out. Pure.
 */
export function lockoutQuestion(serverMessage: string): string {
  const risk = serverMessage.replace(/\.?\s*Repeat with force \([^)]*\) to block it anyway\.?$/, '');
  return `${risk.charAt(0).toUpperCase()}${risk.slice(1)}.\n\nBlock it anyway?`;
}
