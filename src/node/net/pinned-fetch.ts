import { lookup } from "node:dns/promises";
import { isIP, type LookupFunction } from "node:net";
import { Agent, buildConnector } from "undici";
import type { AddressClass } from "../../core/net/ip.ts";
import { classifyHost, isAllowedHost } from "../../core/net/ssrf.ts";
import { NonRetriableError } from "../../engine/errors/non-retriable-error.ts";

/** Resolves a host name to every address it has, like `dns.lookup(name, { all: true })`. */
export type Resolver = (hostname: string) => Promise<readonly { address: string; family: number }[]>;

const WORDS: Record<Exclude<AddressClass, "public">, string> = {
  loopback: "a loopback address",
  private: "a private address",
  link_local: "a link-local address",
  metadata: "a cloud metadata address",
  unspecified: "an unspecified address",
  multicast: "a multicast address",
  reserved: "a reserved address",
};

/**
 * The connection was refused because the host is, or resolves to, an address a workflow may not
 * reach. Not retriable: the same name will resolve the same way. `reason` is stable for callers
 * and counters; `addressClass` says which rule matched.
 *
 * @example
 * catch (e) { if (e instanceof PrivateAddressError) log(e.reason, e.host, e.address) }
 */
export class PrivateAddressError extends NonRetriableError {
  readonly reason = "ssrf_private_address";
  readonly host: string;
  readonly address: string;
  readonly addressClass: Exclude<AddressClass, "public">;

  constructor(host: string, address: string, addressClass: Exclude<AddressClass, "public">) {
    const what = host === address ? `${address} is` : `${host} resolves to ${address},`;
    super(`refused outbound connection: ${what} ${WORDS[addressClass]} (allow-list the host to reach it)`);
    this.host = host;
    this.address = address;
    this.addressClass = addressClass;
  }
}

export interface PinnedFetchOptions {
  /** Hosts (`host` or `host:port`) that may be private, as for the http step's `allowHosts`. */
  allowHosts?: readonly string[];
  /** Defaults to `dns.lookup` with `all: true`; tests inject names that resolve to 127.0.0.1. Used for allow-listed hosts too. */
  resolve?: Resolver;
}

/** A `fetch` with its connection pool; `close()` ends idle keep-alive sockets (tests, shutdown). */
export type PinnedFetch = typeof fetch & { close(): Promise<void> };

/**
 * A `fetch` for Node that checks where it really connects. The URL guard (src/core/net/ssrf.ts)
 * only sees names; here every connection resolves its host once, refuses it if any address is
 * loopback, private, link-local, metadata or otherwise non-public (the rules of ip.ts), and then
 * connects to exactly the addresses it checked: the check *is* the connect's DNS lookup, so a
 * rebinding server gets no second answer. IP literals are checked the same way (Node skips DNS
 * for them), and so is every redirect hop, since undici opens each connection through here.
 * Hosts in `allowHosts` connect without the check. A refusal rejects with `PrivateAddressError`.
 *
 * @example
 * const pinned = createPinnedFetch({ allowHosts: ["127.0.0.1:11434"] });
 * await executeHttpStep(step, { fetch: pinned, signal, allowHosts: ["127.0.0.1:11434"] });
 * await pinned("http://localtest.me/"); // rejects: localtest.me resolves to 127.0.0.1, a loopback address
 */
export function createPinnedFetch(options: PinnedFetchOptions = {}): PinnedFetch {
  const allow = options.allowHosts ?? [];
  const resolve = options.resolve ?? defaultResolve;
  const open = buildConnector({ lookup: resolvingLookup(resolve, false) });
  const checked = buildConnector({ lookup: resolvingLookup(resolve, true) });
  const agent = new Agent({
    connect: (target, callback) => {
      const host = target.hostname;
      const bracketed = isIP(host) === 6 ? `[${host}]` : host;
      const port = target.port || (target.protocol === "https:" ? "443" : "80");
      if (isAllowedHost(new URL(`${target.protocol}//${bracketed}:${port}/`), allow)) {
        return open(target, callback);
      }
      if (isIP(host) !== 0) {
        const refusal = refusalFor(host, host);
        if (refusal) return callback(refusal, null);
      }
      return checked(target, callback);
    },
  });
  const pinned = async (input: RequestInfo | URL, init?: RequestInit) => {
    try {
      // Node's fetch is undici 6; it takes an undici 6 dispatcher in `init`.
      return await globalThis.fetch(input, { ...init, dispatcher: agent } as RequestInit);
    } catch (error) {
      // fetch wraps connection errors in `TypeError: fetch failed`; surface ours as it is.
      throw refusalIn(error) ?? error;
    }
  };
  return Object.assign(pinned, { close: () => agent.close() });
}

const defaultResolve: Resolver = (hostname) => lookup(hostname, { all: true });

/** A `net.connect` lookup through `resolve`; with `check`, it refuses a host with any non-public address. */
function resolvingLookup(resolve: Resolver, check: boolean): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (found) => {
        // Every address, not only the first: Happy Eyeballs may try any of them.
        for (const { address } of check ? found : []) {
          const refusal = refusalFor(hostname, address);
          if (refusal) return callback(refusal, "");
        }
        const family = options.family === 4 || options.family === 6 ? options.family : undefined;
        const usable = found.filter((a) => family === undefined || a.family === family);
        const first = usable[0];
        if (!first) {
          const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
          return callback(error, "");
        }
        if (options.all)
          return callback(
            null,
            usable.map(({ address, family }) => ({ address, family })),
          );
        callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ""),
    );
  };
}

function refusalFor(host: string, address: string): PrivateAddressError | undefined {
  const verdict = classifyHost(isIP(address) === 6 ? `[${address}]` : address);
  return verdict === "public" ? undefined : new PrivateAddressError(host, address, verdict);
}

function refusalIn(error: unknown): PrivateAddressError | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof PrivateAddressError) return e;
  }
  return undefined;
}
