/**
 * What Hookline knows about Meta Graph API versions, in one place: the WhatsApp default, and the dates
 * `hookline doctor` checks a source's `graphVersion` against (warn 90 days before expiry, fail after).
 *
 * Source: Meta Graph API changelog (developers.facebook.com/docs/graph-api/changelog), recorded 2026-11-30.
 * Only the facts below were recorded; a version missing here has no known date (doctor says to check the
 * changelog). When Meta publishes a new version or expiry date, update this file and its recorded date.
 */
export const GRAPH_VERSIONS_SOURCE = "Meta Graph API changelog";
export const GRAPH_VERSIONS_RECORDED = "2026-11-30";

export interface GraphVersionFacts {
  /** The day Meta released the version (YYYY-MM-DD), when recorded. */
  released?: string;
  /** The last day Meta serves the version (YYYY-MM-DD), when recorded. */
  expires?: string;
}

export const GRAPH_VERSIONS: Readonly<Record<string, GraphVersionFacts>> = {
  "v21.0": { expires: "2027-01-21" },
  "v26.0": { released: "2026-07-29" },
};

/** The newest version recorded above; the WhatsApp sources' default `graphVersion`. */
export const NEWEST_GRAPH_VERSION = "v26.0";

/** How early `hookline doctor` warns about an expiring version. */
export const GRAPH_EXPIRY_WARN_DAYS = 90;

export type GraphVersionVerdict =
  | { level: "ok"; message: string }
  | { level: "warn"; message: string; fix: string }
  | { level: "fail"; message: string; fix: string };

/**
 * Judges one `graphVersion` on a given day (epoch ms) against the recorded dates.
 *
 * @example graphVersionVerdict("v21.0", Date.parse("2027-02-01")).level // "fail"
 */
export function graphVersionVerdict(version: string, now: number): GraphVersionVerdict {
  const fix = `set graphVersion: ${NEWEST_GRAPH_VERSION} on the source (or remove it to use the default ${NEWEST_GRAPH_VERSION}) and test a reply`;
  const facts = GRAPH_VERSIONS[version];
  if (!facts) {
    return {
      level: "warn",
      message: `Graph API ${version} has no recorded dates (${GRAPH_VERSIONS_SOURCE}, recorded ${GRAPH_VERSIONS_RECORDED})`,
      fix: `check Meta's changelog for ${version}, or ${fix}`,
    };
  }
  if (facts.expires) {
    const end = Date.parse(`${facts.expires}T23:59:59Z`);
    const days = Math.ceil((end - now) / 86_400_000);
    if (now > end) {
      return {
        level: "fail",
        message: `Graph API ${version} expired on ${facts.expires}: Meta no longer serves it, so WhatsApp replies fail`,
        fix,
      };
    }
    if (days <= GRAPH_EXPIRY_WARN_DAYS) {
      return {
        level: "warn",
        message: `Graph API ${version} expires on ${facts.expires} (in ${days} days)`,
        fix,
      };
    }
    return { level: "ok", message: `Graph API ${version} (expires ${facts.expires})` };
  }
  return {
    level: "ok",
    message: `Graph API ${version}${version === NEWEST_GRAPH_VERSION ? " (newest recorded)" : ""}`,
  };
}
