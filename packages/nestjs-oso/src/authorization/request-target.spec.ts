import { BadRequestException } from '@nestjs/common';
import * as fc from 'fast-check';
import { canonicalPath, canonicalPathEnd, EXPRESS_DEFAULT_MATCHING, type PathMatching } from './request-target.js';

const EXPRESS = EXPRESS_DEFAULT_MATCHING;
const FASTIFY: PathMatching = {
  caseSensitive: true,
  ignoreTrailingSlash: false,
  ignoreDuplicateSlashes: false,
  semicolonDelimiter: false,
};

describe('canonicalPath', () => {
  it.each([
    ['/expenses/42?page=2', '/expenses/42'],
    ['/expenses/%34%32', '/expenses/42'],
    ['/caf%C3%A9s/%E2%82%AC', '/cafés/€'],
    ['/a%2fb%25c%3fd%23e', '/a%2Fb%25c%3Fd%23e'],
    ['/%2561', '/%2561'],
    ['/admin#/public', '/admin'],
    ['/admin?x=1#y', '/admin'],
    ['http://127.0.0.1/admin?x=1', '/admin'],
    ['HTTPS://user@host:8443/admin', '/admin'],
    ['http://host', '/'],
    ['http://host?x=1', '/'],
    ['/admin;v=1', '/admin;v=1'],
    ['//admin', '//admin'],
    ['/.well-known/x', '/.well-known/x'],
  ])('on Fastify, reads %s as %s', (target, path) => {
    expect(canonicalPath(target, FASTIFY, null)).toBe(path);
  });

  it('removes what the router ignores: the case of route literals, a trailing slash, repeated slashes, from `;` on', () => {
    expect(canonicalPath('/Admin/Users/Bob/', EXPRESS, '/admin/users/:name')).toBe('/admin/users/Bob');
    expect(canonicalPath('/FILES/Docs/Readme', EXPRESS, '/files/*path')).toBe('/files/Docs/Readme');
    expect(canonicalPath('/Docs/Readme/RAW', EXPRESS, '/*path/raw')).toBe('/Docs/Readme/raw');
    expect(canonicalPath('/Admin/', EXPRESS, null)).toBe('/admin');
    expect(canonicalPath('/docs/', EXPRESS, '/docs/')).toBe('/docs/');
    const lenientFastify = {
      caseSensitive: false,
      ignoreTrailingSlash: true,
      ignoreDuplicateSlashes: true,
      semicolonDelimiter: true,
    };
    expect(canonicalPath('//Admin//Users/%4Bey;jsessionid=1', lenientFastify, '/admin/users/:id')).toBe(
      '/admin/users/Key',
    );
  });

  it.each([
    ['a dot segment', '/a/../admin'],
    ['an encoded dot segment', '/a/%2E%2e'],
    ['a trailing dot segment', '/admin/.'],
    ['a malformed escape', '/a%zz'],
    ['a truncated escape', '/a%4'],
    ['bytes that are not UTF-8', '/a%C3'],
    ['a backslash', '/admin\\users#'],
    ['a space', '/a b'],
    ['the asterisk form', '*'],
    ['another scheme', 'ftp://host/admin'],
    ['an empty authority', 'http:///admin'],
  ])('refuses %s (%s) with 400', (_, target) => {
    expect(() => canonicalPath(target, FASTIFY, null)).toThrow(BadRequestException);
  });

  it('agrees with the fast check: a target it finds canonical reads as its path up to the query', () => {
    const char = fc.constantFrom(..."aZ09-._~!$&'()*+,=:@/%;#?\\ ".split(''), '%2F', '%41', '%2e', '..', '//');
    const matching = fc.record({
      caseSensitive: fc.boolean(),
      ignoreTrailingSlash: fc.boolean(),
      ignoreDuplicateSlashes: fc.boolean(),
      semicolonDelimiter: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(char, { maxLength: 12 }), matching, (chars, rules) => {
        const target = `/${chars.join('')}`;
        const end = canonicalPathEnd(target);
        if (end !== -1) expect(canonicalPath(target, rules, null)).toBe(target.slice(0, end));
      }),
      { numRuns: 5000, seed: 7 },
    );
  });
});
