// Typed calls into the Rust side. The front end talks to the engine only
// through these Tauri commands; it decides nothing about what to create.
import { Channel, invoke } from "@tauri-apps/api/core";

export type Status = "ok" | "warning" | "error";

export interface Detail {
  label: string;
  value: string;
}

export interface Check {
  id: string;
  title: string;
  status: Status;
  summary: string;
  details: Detail[];
  fix: string | null;
}

export interface DoctorReport {
  checks: Check[];
}

export interface AppInfo {
  version: string;
  config_path: string;
  config_exists: boolean;
  config_error: string | null;
  keychain_service: string;
  /** GitHub and AWS are chosen: the app opens on the Status window. */
  set_up: boolean;
}

export function runDoctor(): Promise<DoctorReport> {
  return invoke<DoctorReport>("doctor");
}

export function appInfo(): Promise<AppInfo> {
  return invoke<AppInfo>("app_info");
}

export interface ProfileInfo {
  name: string;
  kind: string;
  region: string | null;
}

export interface CredentialSources {
  profiles: ProfileInfo[];
  env_keys: boolean;
  env_web_identity: boolean;
  selected: string;
}

export type AuthMode = "access_key" | "oidc";

export interface AwsSettings {
  region: string;
  repository_prefix: string;
  keep_tagged_images: number;
  endpoint_url?: string | null;
  auth: AuthMode;
  push_user: string;
  push_role: string;
  key_secret: string;
}

export interface CallerIdentity {
  account_id: string;
  arn: string;
  region: string;
}

export interface AwsStepData {
  sources: CredentialSources | null;
  sources_error: string | null;
  remembered_keys: boolean;
  settings: AwsSettings;
  organization: string | null;
  repositories: string[];
  branches: string[];
  identity: CallerIdentity | null;
}

export type ConnectSource =
  | { source: "default_chain" }
  | { source: "profile"; profile: string }
  | {
      source: "keys";
      access_key_id: string;
      secret_access_key: string;
      session_token: string | null;
      remember: boolean;
    }
  | { source: "remembered" };

export interface ResourceId {
  kind: string;
  name: string;
}

export type Action = "create" | "update" | "delete" | "no_op";

export interface PlanStep {
  resource: ResourceId;
  action: Action;
  reason: string;
  changes: { attribute: string; from: string | null; to: string | null; diff?: string }[];
  /** The desired attributes (empty for a deletion). */
  attributes?: Record<string, string>;
}

export interface Plan {
  steps: PlanStep[];
}

export type ProgressEvent =
  | { type: "apply_started"; steps: number }
  | { type: "step_started"; index: number; resource: ResourceId; action: Action }
  | { type: "step_progress"; index: number; label: string; done: number; total: number | null; unit: "bytes" | "items" }
  | { type: "step_note"; index: number; message: string }
  | { type: "step_finished"; index: number }
  | { type: "step_failed"; index: number; message: string; hint: string | null }
  | { type: "step_skipped"; index: number; blocked_by: ResourceId }
  | { type: "apply_finished"; succeeded: number; failed: number; skipped: number };

export interface ApplyReport {
  succeeded: ResourceId[];
  failed: [ResourceId, { message: string; hint: string | null }][];
  skipped: ResourceId[];
}

export function awsStepData(): Promise<AwsStepData> {
  return invoke<AwsStepData>("aws_step_data");
}

export function awsConnect(credentials: ConnectSource, region: string, endpointUrl: string | null): Promise<CallerIdentity> {
  return invoke<CallerIdentity>("aws_connect", {
    request: { credentials, region, endpoint_url: endpointUrl },
  });
}

export function awsForgetKeys(): Promise<boolean> {
  return invoke<boolean>("aws_forget_keys");
}

export function saveAwsSettings(input: {
  region: string;
  repository_prefix: string;
  keep_tagged_images: number;
  auth: AuthMode;
  endpoint_url: string | null;
}): Promise<void> {
  return invoke<void>("save_aws_settings", { input });
}

/** The plan towards the settings, or towards nothing when tearing down. */
export function planChanges(
  teardown: { delete_repositories: boolean } | null = null,
  removeStrayRunners = false,
): Promise<Plan> {
  return invoke<Plan>("plan_changes", { teardown, removeStrayRunners });
}

export function applyChanges(onEvent: (e: ProgressEvent) => void): Promise<ApplyReport> {
  const channel = new Channel<ProgressEvent>();
  channel.onmessage = onEvent;
  return invoke<ApplyReport>("apply_changes", { onEvent: channel });
}

export function resourceLabel(id: ResourceId): string {
  return `${id.kind}/${id.name}`;
}

export type Grant = "yes" | "no" | "read_only_checked";

export interface Capability {
  id: string;
  title: string;
  grant: Grant;
  fix: string | null;
}

export interface TokenReport {
  login: string;
  token: { kind: "classic"; scopes: string[] } | { kind: "fine_grained" };
  expires_at: string | null;
  organization: string;
  org_role: string | null;
  capabilities: Capability[];
  new_token_url: string;
}

export interface BuildSettings {
  dockerfile: string;
  context: string;
}

export interface GithubStepData {
  organization: string | null;
  api_url: string;
  token_in_keychain: boolean;
  repositories: string[];
  branches: string[];
  build_all_branches: boolean;
  builds: Record<string, BuildSettings>;
}

export interface RepoInfo {
  name: string;
  id: number;
  default_branch: string;
  private: boolean;
  archived: boolean;
  disabled: boolean;
}

export type TokenSource = { source: "typed"; token: string } | { source: "gh" } | { source: "current" };

export function githubStepData(): Promise<GithubStepData> {
  return invoke<GithubStepData>("github_step_data");
}

export function githubCheck(token: TokenSource, organization: string, apiUrl: string | null): Promise<TokenReport> {
  return invoke<TokenReport>("github_check", { request: { token, organization, api_url: apiUrl } });
}

export function githubKeepToken(organization: string, apiUrl: string | null): Promise<void> {
  return invoke<void>("github_keep_token", { request: { token: { source: "current" }, organization, api_url: apiUrl } });
}

export function githubRepositories(): Promise<RepoInfo[]> {
  return invoke<RepoInfo[]>("github_repositories");
}

export function githubDockerfiles(repo: string, branch: string): Promise<string[]> {
  return invoke<string[]>("github_dockerfiles", { repo, branch });
}

export function saveRepositories(selection: {
  repositories: string[];
  branches: string[];
  build_all_branches: boolean;
  builds: Record<string, BuildSettings>;
}): Promise<void> {
  return invoke<void>("save_repositories", { selection });
}

/** A report passes when the user is an org admin and nothing is missing. */
export function reportPasses(r: TokenReport): boolean {
  return r.org_role === "admin" && r.capabilities.every((c) => c.grant !== "no");
}

export interface DockerStepData {
  docker: { host?: string | null; tls_cert_dir?: string | null; ssh_identity?: string | null };
  runners: {
    count: number; labels: string[]; image: string; work_dir: string; network_mode: string; group?: string | null;
    auth: "registration-token" | "pat-in-container"; registry_username?: string | null;
  };
  max_runners: number;
  registry_password_saved: boolean;
  pat_in_container_warning: string;
}

export interface DockerInput {
  host: string | null;
  tls_cert_dir: string | null;
  ssh_identity: string | null;
  count: number;
  labels: string[];
  image: string;
  network_mode: string;
  work_dir: string;
  pat_in_container: boolean;
  registry_username: string | null;
  /** Only when typed now; the backend keeps it in the keychain. */
  registry_password: string | null;
}

export function dockerStepData(): Promise<DockerStepData> {
  return invoke<DockerStepData>("docker_step_data");
}

export function dockerCheck(input: DockerInput): Promise<Check> {
  return invoke<Check>("docker_check", { input });
}

export function saveDockerSettings(input: DockerInput): Promise<void> {
  return invoke<void>("save_docker_settings", { input });
}

export type Section<T> = { state: "ready"; items: T } | { state: "unavailable"; reason: string };

export interface RunnerRow {
  name: string;
  container: "running" | "stopped" | "missing";
  github: string;
  busy: boolean;
  wanted: boolean;
  stray: boolean;
}

export interface RunSummary {
  id: number;
  branch: string | null;
  status: string | null;
  conclusion: string | null;
  event: string;
  created_at: string;
  html_url: string;
  path: string;
}

export interface RepositoryImages {
  repository: string;
  exists: boolean;
  images: number;
  latest_tags: string[];
  latest_pushed_at: string | null;
  total_bytes: number;
}

export interface StatusReport {
  organization: string | null;
  aws_auth: AuthMode | null;
  runners: Section<RunnerRow[]>;
  workflow_runs: Section<{ repository: string; runs: RunSummary[] }[]>;
  images: Section<RepositoryImages[]>;
  credentials: Check[];
}

export function statusReport(): Promise<StatusReport> {
  return invoke<StatusReport>("status_report");
}

export type RotationOutcome =
  | { outcome: "rotated"; new: string; old: string | null }
  | { outcome: "old_key_kept"; new: string; reason: string };

export function rotatePushKey(onEvent: (e: ProgressEvent) => void): Promise<RotationOutcome> {
  const channel = new Channel<ProgressEvent>();
  channel.onmessage = onEvent;
  return invoke<RotationOutcome>("rotate_push_key", { onEvent: channel });
}
