import { describe, expect, it } from 'vitest';
import { legitimateTrafficText } from '../../renderer/src/suggestion-text.js';

describe('a range suggestion’s traffic line', () => {
  it('counts the traffic a block would also stop', () => {
    expect(legitimateTrafficText({ legitimate: { requests: 1200, ips: 3 }, flaggedRequests: 40 }, 24)).toBe(
      'Legitimate traffic in the last 24 h: 1,200 requests from 3 unflagged IPs in the range (flagged IPs: 40 requests).',
    );
  });

  it('says a count of nothing means old flags (an import), not a free block', () => {
    expect(legitimateTrafficText({ legitimate: { requests: 0, ips: 0 }, flaggedRequests: 0 }, 24)).toMatch(
      /\(flagged IPs: 0 requests\)\. None of the flagged IPs sent a request in that time: their flags come from older traffic/,
    );
  });
});
