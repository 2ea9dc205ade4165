import { describe, expect, it } from 'vitest';
import { adminHostCheck } from '../../../server/admin/admin-hosts.js';

describe('adminHostCheck', () => {
  it('on loopback, answers to its address and the loopback names with its port only', () => {
    const check = adminHostCheck('127.0.0.1', 8081);
    for (const host of ['127.0.0.1:8081', 'localhost:8081', '[::1]:8081'])
      expect(check(host), host).toBe(true);
    for (const host of [
      '127.0.0.1:8080',
      'evil.example:8081',
      'localhost',
      '10.0.0.1:8081',
      '',
      'LOCALHOST:8081',
    ])
      expect(check(host), host).toBe(false);
  });

  it('adds the --admin-hosts names', () => {
    const check = adminHostCheck('127.0.0.1', 8081, ['ipwarden.lan', 'Admin.Example']);
    expect(check('ipwarden.lan:8081')).toBe(true);
    expect(check('admin.example:8081')).toBe(true);
    expect(check('other.lan:8081')).toBe(false);
  });

  it('on a wildcard address, answers to IP literals but still refuses names (DNS rebinding)', () => {
    for (const listen of ['0.0.0.0', '::']) {
      const check = adminHostCheck(listen, 8081);
      for (const host of ['192.168.1.20:8081', '[2001:db8::5]:8081', 'localhost:8081'])
        expect(check(host), host).toBe(true);
      for (const host of [
        'rebind.attacker.example:8081',
        '192.168.1.20:80',
        '2001:db8::5:8081',
        '[192.168.1.20]:8081',
        '[fe80::1%eth0]:8081',
        '0x7f.1:8081',
      ])
        expect(check(host), host).toBe(false);
    }
  });
});
