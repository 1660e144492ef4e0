import { describe, expect, it } from "vitest";
import { classifyIPv6, parseIPv4, parseIPv6 } from "../../../src/core/net/ip.ts";
import { checkOutboundUrl } from "../../../src/core/net/ssrf.ts";

const reasonFor = (url: string, allow?: string[]) => {
  const result = checkOutboundUrl(url, allow);
  return result.ok ? "ok" : result.reason;
};

describe("checkOutboundUrl", () => {
  it.each([
    ["http://127.0.0.1/", "loopback"],
    ["http://127.8.9.10:8080/x", "loopback"],
    ["http://10.0.0.1/", "private"],
    ["http://172.16.0.1/", "private"],
    ["http://172.31.255.255/", "private"],
    ["http://192.168.1.1/", "private"],
    ["http://100.64.0.1/", "private"],
    ["http://169.254.169.254/latest/meta-data/", "metadata"],
    ["http://169.254.10.10/", "link_local"],
    ["http://0.0.0.0/", "unspecified"],
    ["http://0/", "unspecified"],
    ["http://224.0.0.1/", "multicast"],
    ["http://255.255.255.255/", "reserved"],
  ])("refuses the IPv4 address in %s (%s)", (url, reason) => {
    expect(reasonFor(url)).toBe(reason);
  });

  it.each([
    ["http://[::1]/", "loopback"],
    ["http://[::]/", "unspecified"],
    ["http://[::ffff:127.0.0.1]/", "loopback"],
    ["http://[::ffff:7f00:1]/", "loopback"],
    ["http://[0:0:0:0:0:ffff:169.254.169.254]/", "metadata"],
    ["http://[::ffff:a00:1]/", "private"],
    ["http://[::127.0.0.1]/", "loopback"],
    ["http://[64:ff9b::10.0.0.1]/", "private"],
    ["http://[2002:7f00:1::]/", "loopback"],
    ["http://[fc00::1]/", "private"],
    ["http://[fd00:ec2::254]/", "private"],
    ["http://[fe80::1]/", "link_local"],
    ["http://[ff02::1]/", "multicast"],
  ])("refuses the IPv6 address in %s (%s)", (url, reason) => {
    expect(reasonFor(url)).toBe(reason);
  });

  it.each([
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0x7f.1/",
    "http://017700000001/",
    "http://0177.0.0.1/",
    "http://127.1/",
    "http://%31%32%37.0.0.1/",
  ])("refuses loopback spelled as %s", (url) => {
    expect(reasonFor(url)).toBe("loopback");
  });

  it.each([
    ["http://localhost/", "loopback"],
    ["http://LOCALHOST./", "loopback"],
    ["http://api.localhost:3000/", "loopback"],
    ["http://metadata.google.internal/computeMetadata/v1/", "metadata"],
    ["http://metadata.google.internal./", "metadata"],
    ["http://db.internal/", "private"],
    ["http://printer.local/", "private"],
    ["http://intranet/", "private"],
  ])("refuses the local name %s (%s)", (url, reason) => {
    expect(reasonFor(url)).toBe(reason);
  });

  it.each([
    "file:///etc/passwd",
    "ftp://example.com/",
    "gopher://127.0.0.1:6379/",
    "javascript:alert(1)",
    "data:,x",
  ])("refuses the non-http scheme %s", (url) => {
    expect(reasonFor(url)).toBe("unsupported_scheme");
  });

  it("refuses a string that is not a URL", () => {
    expect(reasonFor("not a url")).toBe("invalid_url");
  });

  it.each([
    "https://api.openai.com/v1/chat/completions",
    "http://example.com:8080/x?y=1",
    "https://8.8.8.8/",
    "https://[2606:4700:4700::1111]/",
    "https://172.32.0.1/",
    "https://user:pw@example.org/",
  ])("lets the public URL %s through", (url) => {
    const result = checkOutboundUrl(url);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.url.href).toBe(new URL(url).href);
  });

  it("lets an allow-listed host:port through and still refuses its other ports", () => {
    expect(reasonFor("http://127.0.0.1:8787/hook", ["127.0.0.1:8787"])).toBe("ok");
    expect(reasonFor("http://127.0.0.1:8788/hook", ["127.0.0.1:8787"])).toBe("loopback");
  });

  it("lets an allow-listed bare host through on any port, matching however it is spelled", () => {
    expect(reasonFor("http://sidecar.internal:9000/", ["sidecar.internal"])).toBe("ok");
    expect(reasonFor("http://2130706433:5000/", ["127.0.0.1"])).toBe("ok");
    expect(reasonFor("http://[::1]:5000/", ["[::1]:5000"])).toBe("ok");
    expect(reasonFor("http://127.0.0.1/", ["127.0.0.1:80"])).toBe("ok");
  });

  it("does not let an allow-list entry widen to other hosts or schemes", () => {
    expect(reasonFor("http://10.0.0.2/", ["10.0.0.1"])).toBe("private");
    expect(reasonFor("file:///etc/passwd", ["localhost"])).toBe("unsupported_scheme");
  });

  it("cannot see through DNS: a public name that resolves to 127.0.0.1 passes (documented limit)", () => {
    expect(reasonFor("http://127.0.0.1.nip.io/")).toBe("ok");
  });
});

describe("IP literal parsing", () => {
  it("reads every WHATWG IPv4 spelling", () => {
    expect(parseIPv4("2130706433")).toBe(0x7f000001);
    expect(parseIPv4("0x7f.0.0.1")).toBe(0x7f000001);
    expect(parseIPv4("0177.0.0.01")).toBe(0x7f000001);
    expect(parseIPv4("127.1")).toBe(0x7f000001);
    expect(parseIPv4("127.0.0.1.")).toBe(0x7f000001);
    expect(parseIPv4("4294967296")).toBeUndefined();
    expect(parseIPv4("1.2.3.4.5")).toBeUndefined();
    expect(parseIPv4("example.com")).toBeUndefined();
  });

  it("reads compressed, full and dotted-tail IPv6", () => {
    expect(parseIPv6("::1")).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6("1:2:3:4:5:6:7:8")).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parseIPv6("::ffff:1.2.3.4")).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    expect(parseIPv6("1:2:3:4:5:6:1.2.3.4")).toEqual([1, 2, 3, 4, 5, 6, 0x0102, 0x0304]);
    expect(parseIPv6("1::2::3")).toBeUndefined();
    expect(parseIPv6("1:2:3:4:5:6:7:8:9")).toBeUndefined();
    expect(parseIPv6("::ffff:256.0.0.1")).toBeUndefined();
  });

  it("judges IPv4-carrying IPv6 forms by the IPv4 address", () => {
    expect(classifyIPv6(parseIPv6("::ffff:8.8.8.8") ?? [])).toBe("public");
    expect(classifyIPv6(parseIPv6("64:ff9b::8.8.8.8") ?? [])).toBe("public");
    expect(classifyIPv6(parseIPv6("2002:c0a8:101::1") ?? [])).toBe("private");
  });
});
