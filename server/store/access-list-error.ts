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

/**
 * The 404 for removing what `list` does not hold. An address can be blocked by a range around it
 * (`covering`): the message names the range the operator must lift instead.
 */
export function notOnList(
  list: string,
  target: string,
  covering: { target: string } | undefined,
): AccessListError {
  const hint = covering === undefined ? '' : `; it is blocked by ${covering.target}: unblock that instead`;
  return new AccessListError(`${target} is not on the ${list}${hint}`, 404);
}
