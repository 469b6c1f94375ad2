// A stateful fake of the GitHub REST API for Slipway's tests. Every request
// that reaches an API handler, and every response it returns, is validated
// against GitHub's official OpenAPI description (trimmed to the operations in
// use); a violation is answered with an error and recorded, so a test that
// sends or receives something GitHub would not fails.
//
// Like GitHub's own gateway, authentication, missing scopes and rate limits
// are answered before routing (those answers are not per-operation schema).
// Test-only control endpoints live under /_fake.
import crypto from "node:crypto";
import express from "express";
import * as OpenApiValidator from "express-openapi-validator";
import sampler from "openapi-sampler";
import { createRequire } from "node:module";
import { trimmedSpec } from "./spec.js";

// libsodium-wrappers' ESM build is broken in 0.7.x; its CommonJS build works.
const sodium = createRequire(import.meta.url)("libsodium-wrappers");

await sodium.ready;
const spec = trimmedSpec();
const port = Number(process.env.PORT ?? 5002);
const host = "127.0.0.1";
const DOCS = "https://docs.github.com/rest";

let state;

function sha1(text) {
  return crypto.createHash("sha1").update(text).digest("hex");
}

function blobSha(content) {
  const buf = Buffer.from(content);
  return sha1(Buffer.concat([Buffer.from(`blob ${buf.length}\0`), buf]));
}

/** A new world from a fixture (see tests' fixtures for the shape). */
function reset(fixture = {}) {
  const kp = sodium.crypto_box_keypair();
  state = {
    users: fixture.users ?? {},
    tokens: fixture.tokens ?? {},
    orgs: {},
    repos: {},
    keys: {
      key_id: String(Date.now()),
      public: sodium.to_base64(kp.publicKey, sodium.base64_variants.ORIGINAL),
      private: sodium.to_base64(kp.privateKey, sodium.base64_variants.ORIGINAL),
    },
    throttle: null,
    refuseRegistrations: false,
    violations: [],
    requests: [],
    nextId: 1000,
  };
  for (const [name, org] of Object.entries(fixture.orgs ?? {})) {
    state.orgs[name] = { id: org.id ?? state.nextId++, members: org.members ?? {}, runners: [], tokens: [] };
  }
  for (const [full, repo] of Object.entries(fixture.repos ?? {})) {
    const branch = repo.default_branch ?? "main";
    const files = {};
    for (const [path, content] of Object.entries(repo.files ?? {})) files[path] = { content, sha: blobSha(content) };
    state.repos[full] = {
      id: repo.id ?? state.nextId++,
      default_branch: branch,
      archived: repo.archived ?? false,
      disabled: repo.disabled ?? false,
      private: repo.private ?? true,
      protected: new Set(repo.protected ?? []),
      branches: { [branch]: { sha: sha1(full + branch), files } },
      pulls: [],
      runs: [],
      secrets: {},
      variables: {},
    };
  }
}
reset();

function sample(ref, overrides = {}) {
  const base = sampler.sample({ $ref: ref }, { skipReadOnly: false, skipWriteOnly: true, quiet: true }, spec);
  return { ...base, ...overrides };
}

// GitHub answers 404 for anything missing or invisible to the token, on every
// operation, though its description documents 404 for only some of them; like
// 401 and rate limits it is a gateway-wide answer, so it is sent unvalidated
// (res.send, not res.json). Every other answer goes through res.json and is
// validated against the operation's documented responses.
function error(res, status, message) {
  const body = { message, documentation_url: DOCS };
  if (status === 404) res.status(404).type("application/json").send(JSON.stringify(body));
  else res.status(status).json(body);
}

const app = express();
app.disable("x-powered-by");
app.use(express.json({ limit: "5mb" }));

// ---- test control (not GitHub's API) ---------------------------------------
app.post("/_fake/reset", (req, res) => {
  reset(req.body ?? {});
  res.json({ ok: true });
});
app.post("/_fake/runs", (req, res) => {
  const r = state.repos[req.body.repo];
  if (!r) return res.status(404).json({ message: "no such repository" });
  const run = { ...req.body.run, id: state.nextId++, created_at: new Date().toISOString().replace(/\.\d+Z$/, "Z") };
  r.runs.push(run);
  res.json(run);
});
app.post("/_fake/throttle", (req, res) => {
  state.throttle = { status: req.body.status ?? 429, retryAfter: req.body.retry_after, reset: req.body.reset_in, count: req.body.count ?? 1 };
  res.json({ ok: true });
});
app.get("/_fake/state", (_req, res) => {
  const repos = {};
  for (const [name, r] of Object.entries(state.repos)) {
    const branches = {};
    for (const [b, v] of Object.entries(r.branches)) {
      branches[b] = { sha: v.sha, files: Object.fromEntries(Object.entries(v.files).map(([p, f]) => [p, f.content])) };
    }
    repos[name] = { default_branch: r.default_branch, branches, pulls: r.pulls, secrets: r.secrets, variables: r.variables };
  }
  res.json({ repos, orgs: state.orgs, keys: state.keys, violations: state.violations, requests: state.requests });
});

// ---- GitHub's gateway: paths, auth, scopes, rate limits ---------------------
// Path parameters of these operations may hold '/'; the router and the
// validator see them encoded, as one parameter, exactly as the spec defines.
app.use((req, _res, next) => {
  const m = req.url.match(/^(\/repos\/[^/]+\/[^/]+\/(?:contents|git\/ref))\/([^?]+)(\?.*)?$/);
  if (m && m[2].includes("/")) req.url = req.originalUrl = `${m[1]}/${m[2].split("/").join("%2F")}${m[3] ?? ""}`;
  next();
});

app.use((req, res, next) => {
  if (req.path.startsWith("/_fake")) return next();
  state.requests.push(`${req.method} ${decodeURIComponent(req.path)}`);
  const now = Math.floor(Date.now() / 1000);
  res.set({ "x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4999", "x-ratelimit-reset": String(now + 3600) });
  if (state.throttle && state.throttle.count > 0) {
    state.throttle.count -= 1;
    const t = state.throttle;
    if (t.retryAfter !== undefined) res.set("retry-after", String(t.retryAfter));
    if (t.reset !== undefined) res.set({ "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(now + t.reset) });
    return error(res, t.status, t.status === 429 ? "You have exceeded a secondary rate limit." : "API rate limit exceeded for user.");
  }
  const auth = req.get("authorization") ?? "";
  const token = auth.replace(/^(token|Bearer)\s+/i, "");
  const info = state.tokens[token];
  if (!info) return error(res, 401, "Bad credentials");
  req.github = info;
  if (info.scopes) res.set("x-oauth-scopes", info.scopes.join(", "));
  if (info.expiration) res.set("github-authentication-token-expiration", info.expiration);
  const has = (s) => !info.scopes || info.scopes.includes(s);
  const repoMatch = req.path.match(/^\/repos\/([^/]+)\/([^/]+)/);
  if (repoMatch) {
    const repo = state.repos[`${repoMatch[1]}/${repoMatch[2]}`];
    if (!repo || (repo.private && !has("repo"))) return error(res, 404, "Not Found");
    const writesWorkflow = ["PUT", "DELETE"].includes(req.method) && decodeURIComponent(req.path).includes("/contents/.github/workflows/");
    if (writesWorkflow && !has("workflow")) return error(res, 404, "Not Found");
  }
  if (/^\/orgs\/[^/]+\/actions\/runners/.test(req.path) && !has("admin:org")) {
    return error(res, 403, "Must have admin rights to Repository.");
  }
  next();
});

app.use(
  OpenApiValidator.middleware({
    apiSpec: spec,
    validateRequests: { allowUnknownQueryParameters: false },
    validateResponses: true,
    ignorePaths: /^\/_fake/,
    validateSecurity: false,
    $refParser: { mode: "dereference" },
  }),
);

// ---- handlers ---------------------------------------------------------------
const user = (login) => sample("#/components/schemas/simple-user", { login, id: state.users[login]?.id ?? 1, type: "User", site_admin: false });
const orgSimple = (name) => sample("#/components/schemas/organization-simple", { login: name, id: state.orgs[name].id });
function repoOf(req, res) {
  const repo = state.repos[`${req.params.owner}/${req.params.repo}`];
  if (!repo) error(res, 404, "Not Found");
  return repo;
}
function page(req, res, items) {
  const per = Number(req.query.per_page ?? 30);
  const n = Number(req.query.page ?? 1);
  const last = Math.max(1, Math.ceil(items.length / per));
  if (n < last) {
    const url = new URL(`http://${host}:${port}${req.originalUrl}`);
    url.searchParams.set("page", String(n + 1));
    const lastUrl = new URL(url);
    lastUrl.searchParams.set("page", String(last));
    res.set("link", `<${url}>; rel="next", <${lastUrl}>; rel="last"`);
  }
  return items.slice((n - 1) * per, n * per);
}

app.get("/user", (req, res) => {
  const login = req.github.login;
  res.json(sample("#/components/schemas/private-user", { login, id: state.users[login]?.id ?? 1, type: "User", user_view_type: "private" }));
});

app.get("/user/orgs", (req, res) => {
  const mine = Object.keys(state.orgs).filter((o) => state.orgs[o].members[req.github.login]);
  res.json(page(req, res, mine.map(orgSimple)));
});

app.get("/user/memberships/orgs/:org", (req, res) => {
  const org = state.orgs[req.params.org];
  const role = org?.members[req.github.login];
  if (!role) return error(res, 404, "Not Found");
  res.json(sample("#/components/schemas/org-membership", {
    state: "active", role, organization_url: `http://${host}:${port}/orgs/${req.params.org}`,
    organization: orgSimple(req.params.org), user: user(req.github.login),
  }));
});

app.get("/orgs/:org", (req, res) => {
  const org = state.orgs[req.params.org];
  if (!org) return error(res, 404, "Not Found");
  res.json(sample("#/components/schemas/organization-full", { login: req.params.org, id: org.id }));
});

function repoSummary(full, r, schema) {
  const [owner, name] = full.split("/");
  return sample(schema, {
    id: r.id, name, full_name: full, private: r.private, archived: r.archived, disabled: r.disabled,
    default_branch: r.default_branch, owner: user(owner),
    permissions: { admin: true, maintain: true, push: true, triage: true, pull: true },
  });
}

app.get("/orgs/:org/repos", (req, res) => {
  if (!state.orgs[req.params.org]) return error(res, 404, "Not Found");
  const repos = Object.entries(state.repos).filter(([full]) => full.startsWith(`${req.params.org}/`));
  res.json(page(req, res, repos.map(([full, r]) => repoSummary(full, r, "#/components/schemas/minimal-repository"))));
});

app.get("/repos/:owner/:repo", (req, res) => {
  const r = repoOf(req, res);
  if (r) res.json(repoSummary(`${req.params.owner}/${req.params.repo}`, r, "#/components/schemas/full-repository"));
});

function branchOf(r, ref) {
  return r.branches[ref ?? r.default_branch];
}

app.get("/repos/:owner/:repo/git/trees/:tree_sha", (req, res) => {
  const r = repoOf(req, res);
  if (!r) return;
  const b = Object.values(r.branches).find((v) => v.sha === req.params.tree_sha) ?? r.branches[req.params.tree_sha];
  if (!b) return error(res, 404, "Not Found");
  const tree = Object.entries(b.files).map(([path, f]) => ({
    path, mode: "100644", type: "blob", sha: f.sha, size: Buffer.byteLength(f.content), url: `http://${host}:${port}/blobs/${f.sha}`,
  }));
  res.json({ sha: b.sha, url: `http://${host}:${port}/trees/${b.sha}`, tree, truncated: false });
});

function contentFile(req, path, f) {
  const url = `http://${host}:${port}/repos/${req.params.owner}/${req.params.repo}/contents/${path}`;
  return {
    type: "file", encoding: "base64", size: Buffer.byteLength(f.content), name: path.split("/").pop(), path,
    content: Buffer.from(f.content).toString("base64"), sha: f.sha, url, git_url: url, html_url: url, download_url: url,
    _links: { self: url, git: url, html: url },
  };
}

function fileCommit(req, path, f, commitSha) {
  return sample("#/components/schemas/file-commit", {
    content: f ? contentFile(req, path, f) : null,
    commit: sample("#/components/schemas/file-commit/properties/commit", { sha: commitSha }),
  });
}

app.get("/repos/:owner/:repo/contents/:path", (req, res) => {
  const r = repoOf(req, res);
  if (!r) return;
  const b = branchOf(r, req.query.ref);
  const f = b?.files[req.params.path];
  if (!f) return error(res, 404, "Not Found");
  res.json(contentFile(req, req.params.path, f));
});

function writable(r, branchName, res) {
  if (r.archived) return error(res, 403, "Repository was archived so is read-only."), false;
  if (r.protected.has(branchName)) return error(res, 409, "Changes must be made through a pull request."), false;
  return true;
}

app.put("/repos/:owner/:repo/contents/:path", (req, res) => {
  const r = repoOf(req, res);
  if (!r) return;
  const branchName = req.body.branch ?? r.default_branch;
  const b = r.branches[branchName];
  if (!b) return error(res, 404, "Branch not found");
  if (!writable(r, branchName, res)) return;
  const path = req.params.path;
  const existing = b.files[path];
  if (existing && !req.body.sha) return error(res, 422, "Invalid request.\n\n\"sha\" wasn't supplied.");
  if (existing && req.body.sha !== existing.sha) return error(res, 409, `${path} does not match ${req.body.sha}`);
  const content = Buffer.from(req.body.content, "base64").toString("utf8");
  b.files[path] = { content, sha: blobSha(content) };
  b.sha = sha1(b.sha + path + content);
  res.status(existing ? 200 : 201).json(fileCommit(req, path, b.files[path], b.sha));
});

app.delete("/repos/:owner/:repo/contents/:path", (req, res) => {
  const r = repoOf(req, res);
  if (!r) return;
  const branchName = req.body.branch ?? r.default_branch;
  const b = r.branches[branchName];
  if (!b) return error(res, 404, "Branch not found");
  if (!writable(r, branchName, res)) return;
  const f = b.files[req.params.path];
  if (!f) return error(res, 404, "Not Found");
  if (req.body.sha !== f.sha) return error(res, 409, "sha does not match");
  delete b.files[req.params.path];
  b.sha = sha1(b.sha + "delete" + req.params.path);
  res.json(fileCommit(req, req.params.path, null, b.sha));
});

function gitRef(req, name, sha) {
  const url = `http://${host}:${port}/repos/${req.params.owner}/${req.params.repo}/git/refs/heads/${name}`;
  return { ref: `refs/heads/${name}`, node_id: "REF_" + sha.slice(0, 8), url, object: { type: "commit", sha, url } };
}

app.get("/repos/:owner/:repo/git/ref/:ref", (req, res) => {
  const r = repoOf(req, res);
  if (!r) return;
  const name = req.params.ref.replace(/^heads\//, "");
  const b = r.branches[name];
  if (!b) return error(res, 404, "Not Found");
  res.json(gitRef(req, name, b.sha));
});

app.post("/repos/:owner/:repo/git/refs", (req, res) => {
  const r = repoOf(req, res);
  if (!r) return;
  const name = req.body.ref.replace(/^refs\/heads\//, "");
  if (r.branches[name]) return error(res, 422, "Reference already exists");
  const from = Object.values(r.branches).find((b) => b.sha === req.body.sha);
  if (!from) return error(res, 422, "Object does not exist");
  r.branches[name] = { sha: from.sha, files: structuredClone(from.files) };
  res.status(201).json(gitRef(req, name, from.sha));
});

app.get("/repos/:owner/:repo/pulls", (req, res) => {
  const r = repoOf(req, res);
  if (!r) return;
  const head = req.query.head?.split(":").pop();
  const pulls = r.pulls.filter((p) => (!head || p.head === head) && (req.query.state === "all" || p.state === (req.query.state ?? "open")));
  res.json(pulls.map((p) => sample("#/components/schemas/pull-request-simple", { number: p.number, html_url: p.html_url, state: p.state, title: p.title })));
});

app.post("/repos/:owner/:repo/pulls", (req, res) => {
  const r = repoOf(req, res);
  if (!r) return;
  if (!r.branches[req.body.head]) return error(res, 422, "Validation Failed");
  if (r.pulls.some((p) => p.head === req.body.head && p.state === "open")) return error(res, 422, "A pull request already exists");
  const number = r.pulls.length + 1;
  const html_url = `https://github.com/${req.params.owner}/${req.params.repo}/pull/${number}`;
  const pull = { number, html_url, state: "open", title: req.body.title, head: req.body.head, base: req.body.base, body: req.body.body ?? null };
  r.pulls.push(pull);
  res.status(201).json(sample("#/components/schemas/pull-request", { number, html_url, state: "open", title: pull.title }));
});

app.get("/repos/:owner/:repo/actions/secrets/public-key", (req, res) => {
  if (repoOf(req, res)) res.json({ key_id: state.keys.key_id, key: state.keys.public });
});

app.get("/repos/:owner/:repo/actions/secrets", (req, res) => {
  const r = repoOf(req, res);
  if (!r) return;
  const secrets = Object.entries(r.secrets).map(([name, s]) => ({ name, created_at: s.created_at, updated_at: s.updated_at }));
  res.json({ total_count: secrets.length, secrets });
});

app.put("/repos/:owner/:repo/actions/secrets/:secret_name", (req, res) => {
  const r = repoOf(req, res);
  if (!r) return;
  if (req.body.key_id !== state.keys.key_id) return error(res, 422, "Bad key_id");
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const existing = r.secrets[req.params.secret_name];
  r.secrets[req.params.secret_name] = { encrypted_value: req.body.encrypted_value, key_id: req.body.key_id, created_at: existing?.created_at ?? now, updated_at: now };
  if (existing) res.status(204).end();
  else res.status(201).json({});
});

app.delete("/repos/:owner/:repo/actions/secrets/:secret_name", (req, res) => {
  const r = repoOf(req, res);
  if (!r) return;
  delete r.secrets[req.params.secret_name];
  res.status(204).end();
});

const variable = (name, v) => ({ name, value: v.value, created_at: v.created_at, updated_at: v.updated_at });

app.get("/repos/:owner/:repo/actions/variables", (req, res) => {
  const r = repoOf(req, res);
  if (!r) return;
  const list = Object.entries(r.variables).map(([n, v]) => variable(n, v));
  res.json({ total_count: list.length, variables: page(req, res, list) });
});

app.post("/repos/:owner/:repo/actions/variables", (req, res) => {
  const r = repoOf(req, res);
  if (!r) return;
  if (r.variables[req.body.name]) return error(res, 409, "Already exists");
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  r.variables[req.body.name] = { value: req.body.value, created_at: now, updated_at: now };
  res.status(201).json({});
});

app.get("/repos/:owner/:repo/actions/variables/:name", (req, res) => {
  const r = repoOf(req, res);
  const v = r?.variables[req.params.name];
  if (r && !v) return error(res, 404, "Not Found");
  if (v) res.json(variable(req.params.name, v));
});

app.patch("/repos/:owner/:repo/actions/variables/:name", (req, res) => {
  const r = repoOf(req, res);
  const v = r?.variables[req.params.name];
  if (r && !v) return error(res, 404, "Not Found");
  if (!v) return;
  v.value = req.body.value ?? v.value;
  v.updated_at = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  res.status(204).end();
});

app.delete("/repos/:owner/:repo/actions/variables/:name", (req, res) => {
  const r = repoOf(req, res);
  if (!r) return;
  delete r.variables[req.params.name];
  res.status(204).end();
});

// Runs are added by tests (/_fake/runs), newest first as GitHub lists them.
function runView(full, run) {
  return sample("#/components/schemas/workflow-run", {
    id: run.id, name: run.name ?? "Build and push to ECR", head_branch: run.branch ?? "main",
    status: run.status ?? "completed", conclusion: run.conclusion ?? null, event: run.event ?? "push",
    path: run.path ?? ".github/workflows/slipway-ecr.yml", created_at: run.created_at, updated_at: run.created_at,
    html_url: `https://github.com/${full}/actions/runs/${run.id}`,
  });
}
function listRuns(req, res, only) {
  const r = repoOf(req, res);
  if (!r) return;
  const full = `${req.params.owner}/${req.params.repo}`;
  const chosen = [...r.runs].reverse().filter(only);
  res.json({ total_count: chosen.length, workflow_runs: page(req, res, chosen.map((run) => runView(full, run))) });
}
app.get("/repos/:owner/:repo/actions/runs", (req, res) => listRuns(req, res, () => true));
// By workflow file name, as GitHub allows for workflow_id; 404 when that
// workflow is not on the default branch.
app.get("/repos/:owner/:repo/actions/workflows/:workflow_id/runs", (req, res) => {
  const r = repoOf(req, res);
  if (!r) return;
  const path = `.github/workflows/${req.params.workflow_id}`;
  if (!(path in r.branches[r.default_branch].files)) return error(res, 404, "Not Found");
  listRuns(req, res, (run) => (run.path ?? ".github/workflows/slipway-ecr.yml") === path);
});

// ---- organization self-hosted runners ---------------------------------------
function runnerView(r) {
  const status = Date.now() - (r.lastSeen ?? 0) < ONLINE_FOR_MS ? "online" : "offline";
  return {
    id: r.id, name: r.name, os: "linux", status, busy: r.busy ?? false, ephemeral: false,
    labels: r.labels.map((name, i) => ({ id: i + 1, name, type: i < 3 ? "read-only" : "custom" })),
  };
}

app.get("/orgs/:org/actions/runners", (req, res) => {
  const org = state.orgs[req.params.org];
  if (!org) return error(res, 404, "Not Found");
  const runners = page(req, res, org.runners.map(runnerView));
  res.json({ total_count: org.runners.length, runners });
});

function orgToken(req, res, kind) {
  const org = state.orgs[req.params.org];
  if (!org) return error(res, 404, "Not Found");
  const token = `${kind}${crypto.randomBytes(12).toString("hex").toUpperCase()}`;
  const expires_at = new Date(Date.now() + 3600 * 1000).toISOString().replace(/\.\d+Z$/, "Z");
  org.tokens.push({ token, kind, expires_at });
  res.status(201).json({ token, expires_at });
}
app.post("/orgs/:org/actions/runners/registration-token", (req, res) => orgToken(req, res, "AREG"));
app.post("/orgs/:org/actions/runners/remove-token", (req, res) => orgToken(req, res, "AREM"));

app.get("/orgs/:org/actions/runners/:runner_id", (req, res) => {
  const runner = state.orgs[req.params.org]?.runners.find((r) => r.id === Number(req.params.runner_id));
  if (!runner) return error(res, 404, "Not Found");
  res.json(runnerView(runner));
});

app.delete("/orgs/:org/actions/runners/:runner_id", (req, res) => {
  const org = state.orgs[req.params.org];
  const i = org?.runners.findIndex((r) => r.id === Number(req.params.runner_id)) ?? -1;
  if (i < 0) return error(res, 404, "Not Found");
  if (org.runners[i].busy) return error(res, 422, "Bad request - Runner is currently running a job");
  org.runners.splice(i, 1);
  res.status(204).end();
});

// ---- the stand-in runner's side (not GitHub's REST API) --------------------
// The real runner registers through the Actions service, not the REST API;
// the stand-in image (tests/runner-image) uses these instead.
const ONLINE_FOR_MS = 8000;

// Test switch: registrations fail as if the machine could not reach GitHub.
app.post("/_fake/runners/refuse", (req, res) => {
  state.refuseRegistrations = Boolean(req.body.refuse);
  res.json({ ok: true });
});

app.post("/_fake/runners/register", (req, res) => {
  if (state.refuseRegistrations) return res.status(503).json({ message: "registrations are refused (test switch)" });
  const org = state.orgs[req.body.org];
  const now = Date.now();
  const valid = org?.tokens.find((t) => t.token === req.body.token && t.kind === "AREG" && Date.parse(t.expires_at) > now);
  if (!valid) return res.status(401).json({ message: "registration token is not valid" });
  if (org.runners.some((r) => r.name === req.body.name)) return res.status(409).json({ message: "a runner with this name exists" });
  // `offline: true` registers a runner whose machine is already gone (tests of orphans).
  const lastSeen = req.body.offline ? 0 : now;
  const runner = { id: state.nextId++, name: req.body.name, labels: String(req.body.labels ?? "").split(",").filter(Boolean), busy: false, lastSeen };
  org.runners.push(runner);
  res.type("text/plain").send(String(runner.id));
});

function runnerById(id) {
  for (const org of Object.values(state.orgs)) {
    const r = org.runners.find((x) => x.id === Number(id));
    if (r) return [org, r];
  }
  return [null, null];
}

app.post("/_fake/runners/:id/heartbeat", (req, res) => {
  const [, r] = runnerById(req.params.id);
  if (!r) return res.status(404).json({ message: "runner is not registered" });
  r.lastSeen = Date.now();
  res.json({ ok: true });
});

app.post("/_fake/runners/:id/remove", (req, res) => {
  const [org, r] = runnerById(req.params.id);
  if (r) org.runners.splice(org.runners.indexOf(r), 1);
  res.json({ ok: true });
});

app.post("/_fake/runners/:id/busy", (req, res) => {
  const [, r] = runnerById(req.params.id);
  if (!r) return res.status(404).json({ message: "runner is not registered" });
  r.busy = Boolean(req.body.busy);
  res.json({ ok: true });
});

// ---- errors: validation failures are recorded and answered ----------------
app.use((err, req, res, _next) => {
  const status = err.status ?? 500;
  const violation = { method: req.method, path: decodeURIComponent(req.path), status, message: err.message, errors: err.errors ?? [] };
  state.violations.push(violation);
  console.error("violation:", JSON.stringify(violation));
  res.status(status).json({ message: `OpenAPI violation: ${err.message}`, errors: err.errors ?? [], documentation_url: DOCS });
});

app.listen(port, host, () => console.log(`fake GitHub on http://${host}:${port}`));
