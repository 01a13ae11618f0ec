import { describe, expect, it } from 'vitest';
import { allowedHostNames, hostName, isAllowedHost } from '../../../src-gateway/auth/host-check.js';

describe('Host header check (DNS rebinding, API.md §2)', () => {
  describe('hostName', () => {
    it.each([
      ['127.0.0.1:7878', '127.0.0.1'],
      ['localhost', 'localhost'],
      ['LocalHost:7878', 'localhost'],
      ['  localhost:80  ', 'localhost'],
      ['[::1]:7878', '[::1]'],
      ['[::1]', '[::1]'],
      ['[FE80::1]:443', '[fe80::1]'],
      ['evil.example:7878', 'evil.example'],
    ])('%j → %j', (header, expected) => {
      expect(hostName(header)).toBe(expected);
    });

    it('has no name for a missing, empty or unterminated IPv6 header', () => {
      expect(hostName(undefined)).toBeUndefined();
      expect(hostName('')).toBeUndefined();
      expect(hostName('[::1')).toBeUndefined();
    });
  });

  describe('with the default loopback bind', () => {
    const allowed = allowedHostNames('127.0.0.1', []);

    it.each(['127.0.0.1:7878', '127.0.0.1', 'localhost:7878', 'LOCALHOST', '[::1]:7878', '[::1]'])('serves Host %j', (header) => {
      expect(isAllowedHost(header, allowed)).toBe(true);
    });

    it.each([
      'evil.example:7878', // a rebound DNS name pointing at 127.0.0.1
      'localhost.evil.example',
      '127.0.0.1.nip.io:7878',
      'localhost.:7878', // the fully qualified form is another name for a browser's same-origin rules
      '0.0.0.0:7878',
      '192.168.1.10:7878',
      '[::2]:7878',
      '',
    ])('refuses Host %j', (header) => {
      expect(isAllowedHost(header, allowed)).toBe(false);
    });

    it('refuses a request without a Host header', () => {
      expect(isAllowedHost(undefined, allowed)).toBe(false);
    });
  });

  describe('other binds and configured names', () => {
    it('adds the bound address', () => {
      const allowed = allowedHostNames('192.168.1.10', []);
      expect(isAllowedHost('192.168.1.10:7878', allowed)).toBe(true);
      expect(isAllowedHost('localhost:7878', allowed)).toBe(true);
      expect(isAllowedHost('192.168.1.11:7878', allowed)).toBe(false);
    });

    it('adds a bound IPv6 address in its bracketed Host form', () => {
      const allowed = allowedHostNames('fd00::10', []);
      expect(isAllowedHost('[fd00::10]:7878', allowed)).toBe(true);
      expect(isAllowedHost('[FD00::10]:7878', allowed)).toBe(true);
    });

    it('does not turn a wildcard bind into "any host"', () => {
      for (const wildcard of ['0.0.0.0', '::']) {
        const allowed = allowedHostNames(wildcard, []);
        expect(isAllowedHost('0.0.0.0:7878', allowed), wildcard).toBe(false);
        expect(isAllowedHost('[::]:7878', allowed), wildcard).toBe(false);
        expect(isAllowedHost('evil.example', allowed), wildcard).toBe(false);
        expect(isAllowedHost('localhost:7878', allowed), wildcard).toBe(true);
      }
    });

    it('adds configured names, case-insensitively', () => {
      const allowed = allowedHostNames('0.0.0.0', ['Omixa.LAN', 'gateway.internal']);
      expect(isAllowedHost('omixa.lan:7878', allowed)).toBe(true);
      expect(isAllowedHost('OMIXA.LAN', allowed)).toBe(true);
      expect(isAllowedHost('gateway.internal:443', allowed)).toBe(true);
      expect(isAllowedHost('sub.omixa.lan', allowed)).toBe(false);
    });
  });
});
