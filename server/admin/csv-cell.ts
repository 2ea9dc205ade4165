/**
 * Characters that make a spreadsheet run a cell as a formula (OWASP "CSV Injection": `=`, `+`,
 * `-`, `@`, tab, carriage return, line feed), plus their full-width forms, which some spreadsheets
 * fold to ASCII. They count when they follow leading whitespace or control characters too, which
 * an import may trim.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters before a formula are the point
const FORMULA_START = /^[\s\u0000-\u001f\u007f\u00a0\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20]|^[\t\r\n]/;

/** A CSV cell a spreadsheet shows as text: formula-like text gets a leading `'`; other text is unchanged. */
export function formulaSafe(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/**
 * A download file name that cannot leave the directory it is saved in: only letters, digits, `.`,
 * `_` and `-`, no leading dot, at most 100 characters (`ipwarden-requests-2026-03-02-10-00-00.csv`).
 */
export function exportFileName(kind: string, format: string, at: Date): string {
  const stamp = at.toISOString().slice(0, 19).replace(/[:T]/g, '-');
  const name = `ipwarden-${kind}-${stamp}.${format}`.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return name.slice(0, 100);
}
