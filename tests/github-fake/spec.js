// Loads GitHub's official OpenAPI description (npm @octokit/openapi) and
// trims it to the operations the fake serves, keeping every component they
// reference.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** The operations Slipway uses: OpenAPI path → methods. */
export const OPERATIONS = {
  "/user": ["get"],
  "/user/orgs": ["get"],
  "/user/memberships/orgs/{org}": ["get"],
  "/orgs/{org}": ["get"],
  "/orgs/{org}/repos": ["get"],
  "/repos/{owner}/{repo}": ["get"],
  "/repos/{owner}/{repo}/git/trees/{tree_sha}": ["get"],
  "/repos/{owner}/{repo}/contents/{path}": ["get", "put", "delete"],
  "/repos/{owner}/{repo}/git/ref/{ref}": ["get"],
  "/repos/{owner}/{repo}/git/refs": ["post"],
  "/repos/{owner}/{repo}/pulls": ["get", "post"],
  "/repos/{owner}/{repo}/actions/secrets": ["get"],
  "/repos/{owner}/{repo}/actions/secrets/public-key": ["get"],
  "/repos/{owner}/{repo}/actions/secrets/{secret_name}": ["put", "delete"],
  "/repos/{owner}/{repo}/actions/variables": ["get", "post"],
  "/repos/{owner}/{repo}/actions/variables/{name}": ["get", "patch", "delete"],
  "/repos/{owner}/{repo}/actions/runs": ["get"],
  "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs": ["get"],
  "/orgs/{org}/actions/runners": ["get"],
  "/orgs/{org}/actions/runners/registration-token": ["post"],
  "/orgs/{org}/actions/runners/remove-token": ["post"],
  "/orgs/{org}/actions/runners/{runner_id}": ["get", "delete"],
};

function collectRefs(node, refs) {
  if (Array.isArray(node)) {
    node.forEach((n) => collectRefs(n, refs));
  } else if (node && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) {
      if (k === "$ref" && typeof v === "string") refs.add(v);
      else collectRefs(v, refs);
    }
  }
}

// Two normalizations, both loosening nothing a client relies on:
// - examples are dropped (documentation, not schema);
// - `oneOf` becomes `anyOf`: GitHub's description has `oneOf`s whose branches
//   no value can tell apart (e.g. the 409 of PUT contents is oneOf two error
//   objects with no required fields), which a strict validator can never
//   satisfy. A value must still match at least one branch.
function normalize(node) {
  if (Array.isArray(node)) return node.map(normalize);
  if (node && typeof node === "object") {
    const out = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === "examples" || k === "example") continue;
      if (k === "discriminator") continue;
      out[k === "oneOf" ? "anyOf" : k] = normalize(v);
    }
    return out;
  }
  return node;
}

export function trimmedSpec() {
  const full = require("@octokit/openapi/generated/api.github.com.json");
  const paths = {};
  for (const [path, methods] of Object.entries(OPERATIONS)) {
    const item = full.paths[path];
    if (!item) throw new Error(`the OpenAPI description has no ${path}`);
    paths[path] = {};
    if (item.parameters) paths[path].parameters = item.parameters;
    for (const m of methods) {
      if (!item[m]) throw new Error(`the OpenAPI description has no ${m.toUpperCase()} ${path}`);
      paths[path][m] = item[m];
    }
  }
  const components = {};
  const seen = new Set();
  let pending = new Set();
  collectRefs(paths, pending);
  while (pending.size) {
    const next = new Set();
    for (const ref of pending) {
      if (seen.has(ref)) continue;
      seen.add(ref);
      const [, , kind, name] = ref.split("/");
      const value = full.components[kind][name];
      if (value === undefined) throw new Error(`unresolved ${ref}`);
      components[kind] ??= {};
      components[kind][name] = value;
      collectRefs(value, next);
    }
    pending = next;
  }
  delete components.examples;
  return normalize({
    openapi: full.openapi,
    info: full.info,
    servers: [{ url: "/" }],
    paths,
    components,
  });
}
