import { type AddressClass, classifyIPv4, classifyIPv6, parseIPv4, parseIPv6 } from "./ip.ts";

/** Why an outbound URL was refused. A closed set, so callers can map and count them. */
export type OutboundRefusal = "invalid_url" | "unsupported_scheme" | Exclude<AddressClass, "public">;

export type OutboundCheck = { ok: true; url: URL } | { ok: false; reason: OutboundRefusal };

/** Names that reach the local host or a cloud metadata service without being IP literals. */
const NAMED_HOSTS = new Map<string, AddressClass>([
  ["localhost", "loopback"],
  ["metadata.google.internal", "metadata"],
  ["metadata", "metadata"], // GCE resolves the short name through its search domain
  ["metadata.goog", "metadata"],
  ["instance-data", "metadata"], // EC2's legacy name for 169.254.169.254
]);

/** Suffixes reserved for names that only resolve inside a private network. */
const PRIVATE_SUFFIXES: ReadonlyArray<readonly [string, AddressClass]> = [
  [".localhost", "loopback"], // RFC 6761 §6.3: always the loopback interface
  [".internal", "private"], // reserved by ICANN (2024) for private use
  [".local", "private"], // mDNS (RFC 6762)
  [".home.arpa", "private"], // RFC 8375
];

/**
 * Decides whether a workflow's HTTP step may send a request to `url`: only `http:`/`https:`, and
 * never to loopback, private, link-local, metadata, multicast or reserved addresses, whatever
 * the spelling (`2130706433`, `0x7f.1`, `[::ffff:127.0.0.1]`…). Hosts in `allow` (exact `host`
 * or `host:port`) skip the address check; the scheme rule still applies.
 *
 * Limit: only the URL is checked. A public DNS name that resolves to a private address (for
 * example `127.0.0.1.nip.io`, or DNS rebinding) passes, because a Worker has no DNS API to
 * resolve it first, and a resolve-then-fetch check would still race a rebinding server. On
 * Cloudflare the fetch leaves from Cloudflare's edge, where our own private ranges are not
 * routable; on Node, `createPinnedFetch` (src/node/net/pinned-fetch.ts) checks the resolved
 * address and connects to exactly that one.
 *
 * @example
 * checkOutboundUrl("http://169.254.169.254/latest/meta-data"); // { ok: false, reason: "metadata" }
 * checkOutboundUrl("http://127.0.0.1:8080/x", ["127.0.0.1:8080"]); // { ok: true, url }
 */
export function checkOutboundUrl(url: string, allow: readonly string[] = []): OutboundCheck {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: "invalid_url" };
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
    return { ok: false, reason: "unsupported_scheme" };
  if (isAllowedHost(parsed, allow)) return { ok: true, url: parsed };
  const verdict = classifyHost(parsed.hostname);
  return verdict === "public" ? { ok: true, url: parsed } : { ok: false, reason: verdict };
}

/**
 * Classifies a URL hostname (as `URL.hostname` spells it: IPv6 in brackets).
 *
 * @example
 * classifyHost("[::1]"); // "loopback"
 * classifyHost("example.com"); // "public"
 */
export function classifyHost(hostname: string): AddressClass {
  const host = hostname.toLowerCase().replace(/\.+$/, "");
  if (host.startsWith("[") && host.endsWith("]")) {
    const groups = parseIPv6(host.slice(1, -1));
    return groups ? classifyIPv6(groups) : "reserved";
  }
  const v4 = parseIPv4(host);
  if (v4 !== undefined) return classifyIPv4(v4);
  if (host === "") return "unspecified";
  const named = NAMED_HOSTS.get(host);
  if (named) return named;
  for (const [suffix, verdict] of PRIVATE_SUFFIXES) if (host.endsWith(suffix)) return verdict;
  // A single-label name ("intranet") resolves through the local search domain, i.e. inside the network.
  if (!host.includes(".")) return "private";
  return "public";
}

/**
 * Whether `url`'s host is in `allow` (entries `host` or `host:port`, the port defaulting to the
 * scheme's). Shared with the Node adapter's pinned fetch, so both layers read the list alike.
 *
 * @example
 * isAllowedHost(new URL("http://127.0.0.1:11434/api/tags"), ["127.0.0.1:11434"]); // true
 * isAllowedHost(new URL("http://127.0.0.1:8080/"), ["127.0.0.1:11434"]); // false
 */
export function isAllowedHost(url: URL, allow: readonly string[]): boolean {
  if (allow.length === 0) return false;
  const host = url.hostname.toLowerCase().replace(/\.+$/, "");
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  return allow.some((entry) => {
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry.trim().toLowerCase());
    if (!match) return false;
    const entryHost = normalizeHost(match[1] ?? "");
    return entryHost === host && (match[2] === undefined || match[2] === port);
  });
}

// Spell allow-list hosts the way URL does ("0x7f.1" → "127.0.0.1", "[::FFFF:127.0.0.1]" → "[::ffff:7f00:1]").
function normalizeHost(host: string): string | undefined {
  try {
    return new URL(`http://${host}/`).hostname.replace(/\.+$/, "");
  } catch {
    return undefined;
  }
}
