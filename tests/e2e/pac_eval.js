// Evaluates a proxy auto-config file the way a browser does: the file runs in a sandbox (Node's
// vm module) that has the standard PAC helper functions and nothing else, then
// FindProxyForURL(url, host) is called for each case.
//   node pac_eval.js FILE.pac '[["http://a.test/", "a.test"], ...]'
// prints a JSON array of the answers.
'use strict';
const fs = require('fs');
const vm = require('vm');

function globToRegExp(glob) {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return new RegExp('^' + escaped.replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
}

function ipv4ToNumber(text) {
  const parts = text.split('.').map(Number);
  return parts.length === 4 ? ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0 : NaN;
}

// The helpers of Netscape's PAC specification, without name resolution (tests stay offline).
const helpers = {
  shExpMatch: (text, glob) => globToRegExp(glob).test(text),
  isPlainHostName: (host) => !host.includes('.'),
  dnsDomainIs: (host, domain) => host.length >= domain.length && host.endsWith(domain),
  localHostOrDomainIs: (host, hostdom) => host === hostdom || hostdom.startsWith(host + '.'),
  isResolvable: () => false,
  dnsResolve: (host) => (/^\d+\.\d+\.\d+\.\d+$/.test(host) ? host : null),
  myIpAddress: () => '127.0.0.1',
  isInNet: (host, pattern, mask) => {
    const h = ipv4ToNumber(host);
    const m = ipv4ToNumber(mask);
    return !Number.isNaN(h) && (h & m) >>> 0 === (ipv4ToNumber(pattern) & m) >>> 0;
  },
  dnsDomainLevels: (host) => host.split('.').length - 1,
  weekdayRange: () => true,
  dateRange: () => true,
  timeRange: () => true,
};

const source = fs.readFileSync(process.argv[2], 'utf8');
const cases = JSON.parse(process.argv[3]);
const sandbox = vm.createContext({ ...helpers });
vm.runInContext(source, sandbox, { filename: 'proxy.pac', timeout: 1000 });
if (typeof sandbox.FindProxyForURL !== 'function') {
  console.error('the file defines no FindProxyForURL function');
  process.exit(1);
}
const answers = cases.map(([url, host]) => sandbox.FindProxyForURL(url, host));
console.log(JSON.stringify(answers));
