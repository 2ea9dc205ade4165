/** An import that cannot go on (undetectable format, failing writes): its message is for the operator. */
export class ImportError extends Error {
  override readonly name = 'ImportError';
}
