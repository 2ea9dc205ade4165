import { describe, expect, it } from 'vitest';
import { lockoutQuestion } from '../../renderer/src/lockout.js';
import { parseCidr } from '../../server/net/index.js';
import { checkBlock } from '../../server/store/block-checks.js';
import { OperatorAddresses } from '../../server/store/operator-addresses.js';

describe('the lockout question', () => {
  it("keeps the server's explanation and drops the API and CLI instructions", () => {
    let message = '';
    try {
      checkBlock(parseCidr('127.0.0.0/24'), [], new OperatorAddresses(['127.0.0.1']), false);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('Repeat with force');
    expect(lockoutQuestion(message)).toBe(
      'Blocking 127.0.0.0/24 would block your own address (127.0.0.0/8: loopback, the admin address or an admin session) and may lock you out of your own site.\n\nBlock it anyway?',
    );
    expect(lockoutQuestion('something else')).toBe('Something else.\n\nBlock it anyway?');
  });
});
