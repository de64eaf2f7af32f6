/**
 * The SSRF rules for `callbackUrl`, checked at submit (the dial-time check is in `#clients/webhook-post`).
 * Pure: no DNS here. The URL is parsed with the WHATWG parser, which already turns decimal, hex,
 * octal and shortened IPv4 forms (`2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`) into dotted quads,
 * so one range check covers every spelling.
 */
import ipaddr from 'ipaddr.js';

/** Names that are never public, whatever DNS says (RFC 6761, RFC 8375, cloud metadata names). */
const PRIVATE_NAME = /(^|\.)(localhost|local|localdomain|internal|intranet|lan|home\.arpa|home|corp|private)$/;

export interface CallbackUrlRules {
  /** Local stack only: `http://127.0.0.1`, `http://[::1]` and `http://localhost` (any port) are accepted. */
  allowLoopback?: boolean;
}

/** Whether an IP address (v4 or v6, as the URL parser prints it) is public unicast. */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(bare)) return false;
  const parsed = ipaddr.parse(bare);
  // An IPv4-mapped IPv6 address is as public as the IPv4 address inside it, which is checked instead.
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) return false;
  // IPv4-compatible (::/96, deprecated by RFC 4291): some stacks still route `::a.b.c.d` to a.b.c.d.
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).parts.slice(0, 6).every((part) => part === 0)) return false;
  return parsed.range() === 'unicast';
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';
}

/** Why `raw` may not be a callback URL, or undefined if it may. */
export function callbackUrlViolation(raw: string, rules: CallbackUrlRules = {}): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute https:// URL';
  }
  const hostname = url.hostname.toLowerCase().replace(/\.$/, '');
  if (url.username || url.password) return 'must not carry credentials (user:password@)';
  if (rules.allowLoopback && (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(hostname)) return undefined;
  if (url.protocol !== 'https:') return 'must be an https:// URL';
  if (!hostname) return 'must name a host';
  const isIpLiteral = hostname.startsWith('[') || ipaddr.IPv4.isValidFourPartDecimal(hostname);
  if (isIpLiteral) return isPublicAddress(hostname) ? undefined : 'must not point to a private, loopback, link-local or reserved address';
  if (!hostname.includes('.') || PRIVATE_NAME.test(hostname)) return 'must name a public host';
  return undefined;
}
