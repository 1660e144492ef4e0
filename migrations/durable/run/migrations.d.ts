/** Types for the drizzle-kit generated bundle beside this file (`driver: "durable-sqlite"`). */
declare const bundle: {
  journal: { entries: { idx: number; when: number; tag: string; breakpoints: boolean }[] };
  migrations: Record<string, string>;
};
export default bundle;
