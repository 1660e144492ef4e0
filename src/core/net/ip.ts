/**
 * IP literal parsing and classification for the outbound-request guard. Pure: no DNS, no runtime APIs.
 * Ranges follow the IANA special-purpose registries (RFC 6890 and its updates).
 */

/** What an address is, from the point of view of "may a workflow's HTTP step reach it?". */
export type AddressClass =
  | "public"
  | "loopback"
  | "private"
  | "link_local"
  | "metadata"
  | "unspecified"
  | "multicast"
  | "reserved";

const IPV4_PART = /^(?:0x[0-9a-f]*|0[0-7]*|[1-9][0-9]*)$/i;

/**
 * Parses an IPv4 host the way the WHATWG URL standard does (1–4 parts, each decimal, octal
 * `0…` or hex `0x…`, the last part filling the remaining bytes), so `2130706433`, `0x7f.1` and
 * `017700000001` all read as 127.0.0.1 even if a runtime's URL parser left them alone.
 *
 * @example
 * parseIPv4("0x7f.1"); // 2130706433
 * parseIPv4("example.com"); // undefined
 */
export function parseIPv4(host: string): number | undefined {
  const parts = host.endsWith(".") ? host.slice(0, -1).split(".") : host.split(".");
  if (parts.length === 0 || parts.length > 4) return undefined;
  const numbers: number[] = [];
  for (const part of parts) {
    if (!IPV4_PART.test(part)) return undefined;
    const lower = part.toLowerCase();
    const value = lower.startsWith("0x")
      ? lower.length === 2
        ? 0
        : Number.parseInt(lower.slice(2), 16)
      : lower.length > 1 && lower.startsWith("0")
        ? Number.parseInt(lower, 8)
        : Number(lower);
    if (!Number.isFinite(value)) return undefined;
    numbers.push(value);
  }
  const last = numbers.pop() ?? 0;
  if (numbers.some((n) => n > 255) || last >= 256 ** (4 - numbers.length)) return undefined;
  return numbers.reduce((acc, n, i) => acc + n * 256 ** (3 - i), 0) + last;
}

/**
 * Parses an IPv6 literal (without brackets or zone id) into its eight 16-bit groups.
 *
 * @example
 * parseIPv6("::ffff:127.0.0.1"); // [0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]
 */
export function parseIPv6(text: string): number[] | undefined {
  let host = text.toLowerCase();
  const tail: number[] = [];
  // A trailing dotted quad ("::ffff:1.2.3.4") stands for the last two groups.
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(host);
  if (dotted) {
    const v4 = strictDottedQuad(dotted[2] ?? "");
    if (v4 === undefined) return undefined;
    tail.push(v4 >>> 16, v4 & 0xffff);
    host = dotted[1] ?? "";
    if (!host.endsWith("::")) host = host.slice(0, -1);
  }
  const halves = host.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string) =>
    s === ""
      ? []
      : s.split(":").map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? Number.parseInt(g, 16) : Number.NaN));
  const head = groups(halves[0] ?? "");
  const rest = halves.length === 2 ? groups(halves[1] ?? "") : [];
  if ([...head, ...rest].some(Number.isNaN)) return undefined;
  const explicit = head.length + rest.length + tail.length;
  if (halves.length === 1) return explicit === 8 ? [...head, ...tail] : undefined;
  if (explicit > 7) return undefined;
  return [...head, ...new Array<number>(8 - explicit).fill(0), ...rest, ...tail];
}

function strictDottedQuad(text: string): number | undefined {
  const parts = text.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

/** [first address, prefix length, class]; the first match wins, so narrower ranges come first. */
const IPV4_RANGES: ReadonlyArray<readonly [string, number, AddressClass]> = [
  ["169.254.169.254", 32, "metadata"], // AWS, GCP, Azure, OpenStack instance metadata
  ["100.100.100.200", 32, "metadata"], // Alibaba Cloud instance metadata
  ["0.0.0.0", 8, "unspecified"], // "this network"; 0.0.0.0 reaches the local host on Linux
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "private"], // carrier-grade NAT (RFC 6598)
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link_local"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "reserved"], // IETF protocol assignments
  ["192.0.2.0", 24, "reserved"], // documentation (TEST-NET-1)
  ["192.88.99.0", 24, "reserved"], // deprecated 6to4 relay anycast
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "reserved"], // benchmarking
  ["198.51.100.0", 24, "reserved"], // documentation (TEST-NET-2)
  ["203.0.113.0", 24, "reserved"], // documentation (TEST-NET-3)
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"], // includes the 255.255.255.255 broadcast address
];

const IPV4_TABLE = IPV4_RANGES.map(([base, bits, kind]) => ({
  base: strictDottedQuad(base) ?? 0,
  size: 2 ** (32 - bits),
  kind,
}));

/**
 * Classifies an IPv4 address given as a 32-bit number.
 *
 * @example
 * classifyIPv4(parseIPv4("10.1.2.3") ?? 0); // "private"
 */
export function classifyIPv4(address: number): AddressClass {
  for (const { base, size, kind } of IPV4_TABLE) if (address >= base && address < base + size) return kind;
  return "public";
}

/**
 * Classifies an IPv6 address. Forms that carry an IPv4 address (mapped `::ffff:a.b.c.d`,
 * compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by that address,
 * because a dual-stack host or a translator delivers them to it.
 *
 * @example
 * classifyIPv6(parseIPv6("::ffff:7f00:1") ?? []); // "loopback"
 */
export function classifyIPv6(g: readonly number[]): AddressClass {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const v4 = (hi: number, lo: number) => classifyIPv4(hi * 0x10000 + lo);
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0) {
    if (g4 === 0 && g5 === 0) {
      if (g6 === 0 && g7 <= 1) return g7 === 0 ? "unspecified" : "loopback";
      return v4(g6, g7); // deprecated IPv4-compatible form
    }
    if (g4 === 0 && g5 === 0xffff) return v4(g6, g7); // IPv4-mapped
    if (g4 === 0xffff && g5 === 0) return v4(g6, g7); // IPv4-translated (RFC 2765)
    return "reserved";
  }
  if (g0 === 0x64 && g1 === 0xff9b)
    return g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0 ? v4(g6, g7) : "private";
  if (g0 === 0x2002) return v4(g1, g2); // 6to4
  if (g0 === 0x2001 && (g1 === 0 || g1 === 0xdb8)) return "reserved"; // Teredo, documentation
  if (g0 === 0x100 && g1 === 0 && g2 === 0 && g3 === 0) return "reserved"; // discard-only
  if ((g0 & 0xfe00) === 0xfc00) return "private"; // unique local fc00::/7 (AWS IMDS fd00:ec2::254 is here)
  if ((g0 & 0xffc0) === 0xfe80) return "link_local";
  if ((g0 & 0xffc0) === 0xfec0) return "private"; // deprecated site-local
  if ((g0 & 0xff00) === 0xff00) return "multicast";
  // Only 2000::/3 is allocated for global unicast.
  return (g0 & 0xe000) === 0x2000 ? "public" : "reserved";
}
