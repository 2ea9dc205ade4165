/** Network primitives shared by every part: addresses, CIDR ranges, CIDR sets, path patterns. */
export {
  type Address,
  AddressError,
  type Cidr,
  cidrContains,
  cidrsOverlap,
  enclosingCidr,
  parseAddress,
  parseCidr,
  rateLimitSubject,
  tryParseAddress,
} from './address.js';
export { AddressSet, parseV4 } from './address-set.js';
export { compilePathPattern, normalisePath, type PathPattern, PathPatternError } from './path-pattern.js';
