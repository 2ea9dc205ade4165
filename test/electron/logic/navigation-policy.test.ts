import { describe, expect, it } from 'vitest';
import { navigationPolicy } from '../../../electron/logic/navigation-policy.js';

describe('navigationPolicy', () => {
  let admin: string | null = 'http://127.0.0.1:40123';
  const policy = navigationPolicy(
    () => admin,
    'file:///opt/ipwarden/resources/app.asar/dist/electron/first-run/',
  );

  it('lets the window show the local admin UI and the setup page only', () => {
    expect(policy.mayNavigate('http://127.0.0.1:40123/#/ip/203.0.113.7')).toBe(true);
    expect(
      policy.mayNavigate('file:///opt/ipwarden/resources/app.asar/dist/electron/first-run/index.html'),
    ).toBe(true);
    expect(policy.mayNavigate('http://127.0.0.1:8080/')).toBe(false); // the proxy, not the UI
    expect(policy.mayNavigate('https://evil.example/')).toBe(false);
    expect(policy.mayNavigate('file:///etc/passwd')).toBe(false);
  });

  it('lets only the setup page call the main process, never the admin UI (it shows what clients sent)', () => {
    expect(
      policy.isAppPage('file:///opt/ipwarden/resources/app.asar/dist/electron/first-run/index.html'),
    ).toBe(true);
    expect(policy.isAppPage('http://127.0.0.1:40123/#/requests')).toBe(false);
    expect(policy.isAppPage('file:///etc/passwd')).toBe(false);
    expect(policy.isAppPage('')).toBe(false); // a frame that is gone
  });

  it('knows when the window already shows the running admin UI, so Open need not reload it', () => {
    expect(policy.isAdminPage('http://127.0.0.1:40123/#/requests?ip=203.0.113.7')).toBe(true);
    expect(policy.isAdminPage('http://127.0.0.1:40999/')).toBe(false); // a core started before this one
    expect(policy.isAdminPage('')).toBe(false); // nothing loaded yet
  });

  it('blocks remote content', () => {
    expect(policy.mayRequest('http://127.0.0.1:40123/app.js')).toBe(true);
    expect(policy.mayRequest('data:image/png;base64,AAAA')).toBe(true);
    expect(policy.mayRequest('https://cdn.example/script.js')).toBe(false);
    expect(policy.mayRequest('not a url')).toBe(false);
  });

  it('sends http(s) links to the system browser and drops other schemes', () => {
    expect(policy.externalTarget('https://www.maxmind.com/')).toBe('https://www.maxmind.com/');
    expect(policy.externalTarget('http://127.0.0.1:40123/')).toBeNull();
    expect(policy.externalTarget('file:///etc/passwd')).toBeNull();
    expect(policy.externalTarget('javascript:alert(1)')).toBeNull();
  });

  it('allows no admin origin before the appliance runs', () => {
    admin = null;
    expect(policy.mayNavigate('http://127.0.0.1:40123/')).toBe(false);
  });
});
