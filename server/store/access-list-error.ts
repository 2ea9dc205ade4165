/** A block or allowlist request that cannot be applied; the message says why (shown to operators). */
export class AccessListError extends Error {
  override readonly name = 'AccessListError';
  constructor(
    message: string,
    readonly status: 400 | 404 | 409 = 400,
  ) {
    super(message);
  }
}
