// Front-end tests of the AWS, Review and Apply steps in jsdom, with Tauri's
// IPC mock standing in for the Rust commands.
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { mockIPC, clearMocks } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import AwsStep from "./AwsStep.svelte";
import ReviewStep from "./ReviewStep.svelte";
import ApplyStep from "./ApplyStep.svelte";
import { wizard } from "./wizard.svelte";
import type { AwsStepData, Plan, ProgressEvent } from "./api";

const stepData: AwsStepData = {
  sources: { profiles: [{ name: "admin-sso", kind: "SSO", region: "eu-west-1" }], env_keys: false, env_web_identity: false, selected: "default" },
  sources_error: null,
  remembered_keys: false,
  settings: {
    region: "eu-west-1", repository_prefix: "slipway", keep_tagged_images: 10, endpoint_url: null,
    auth: "access_key", push_user: "slipway-ecr-pusher", push_role: "slipway-ecr-push", key_secret: "aws-ecr-push-key",
  },
  organization: "acme",
  repositories: ["api"],
  branches: ["main"],
  identity: null,
};

const identity = { account_id: "123456789012", arn: "arn:aws:iam::123456789012:user/admin", region: "eu-west-1" };

afterEach(() => {
  cleanup();
  clearMocks();
  wizard.identity = null;
  wizard.current = "doctor";
  wizard.startApply = false;
});

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("AWS step", () => {
  it("offers the SSO profile, shows the identity before saving, and sends typed keys only to connect", async () => {
    const calls: { cmd: string; args: any }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "aws_step_data") return stepData;
      if (cmd === "aws_connect") return identity;
      if (cmd === "save_aws_settings") return null;
      throw new Error(cmd);
    });
    render(AwsStep);
    const select = (await screen.findByRole("combobox")) as HTMLSelectElement;
    expect(select.value).toBe("admin-sso");
    expect(select.textContent).toContain("admin-sso — SSO, eu-west-1");
    const save = screen.getByRole("button", { name: "Save and continue to the Docker host" }) as HTMLButtonElement;
    expect(save.disabled).toBe(true);

    await fireEvent.click(document.getElementById("aws-source-keys")!);
    await fireEvent.input(document.getElementById("aws-key-id")!, { target: { value: "AKIATYPED" } });
    const secret = document.getElementById("aws-secret") as HTMLInputElement;
    await fireEvent.input(secret, { target: { value: "typed-secret" } });
    await fireEvent.click(screen.getByRole("button", { name: "Check identity" }));
    await screen.findByText("arn:aws:iam::123456789012:user/admin");

    const connect = calls.find((c) => c.cmd === "aws_connect")!;
    expect(connect.args.request.credentials).toEqual({
      source: "keys", access_key_id: "AKIATYPED", secret_access_key: "typed-secret", session_token: null, remember: false,
    });
    expect(secret.value).toBe("");
    expect(save.disabled).toBe(false);
    await fireEvent.click(save);
    await tick();
    const saved = calls.find((c) => c.cmd === "save_aws_settings")!;
    expect(JSON.stringify(saved.args)).not.toContain("typed-secret");
    expect(saved.args.input).toMatchObject({ region: "eu-west-1", repository_prefix: "slipway", auth: "access_key" });
    expect(wizard.current).toBe("docker");
  });

  it("shows the engine's message when the identity check fails", async () => {
    mockIPC((cmd) => {
      if (cmd === "aws_step_data") return stepData;
      if (cmd === "aws_connect") throw "the AWS session has expired. Run `aws sso login --profile admin-sso`";
      throw new Error(cmd);
    });
    render(AwsStep);
    await screen.findByRole("combobox");
    await fireEvent.click(screen.getByRole("button", { name: "Check identity" }));
    const alert = await screen.findByRole("alert");
    expect(alert.querySelector("code")?.textContent).toBe("aws sso login --profile admin-sso");
  });
});

const plan: Plan = {
  steps: [
    { resource: { kind: "aws.iam_user", name: "slipway-ecr-pusher" }, action: "create", reason: "does not exist yet", changes: [] },
    { resource: { kind: "aws.ecr_repository", name: "slipway/api/main" }, action: "no_op", reason: "up to date", changes: [] },
  ],
};

describe("Review and Apply", () => {
  it("renders the plan and applies it, showing each step as events arrive", async () => {
    mockIPC((cmd, args: any) => {
      if (cmd === "plan_changes") return plan;
      if (cmd === "apply_changes") {
        const send = (e: ProgressEvent) => args.onEvent.onmessage(e);
        send({ type: "apply_started", steps: 1 });
        send({ type: "step_started", index: 0, resource: plan.steps[0].resource, action: "create" });
        send({ type: "step_failed", index: 0, message: "AWS denied iam:CreateUser to arn:x", hint: null });
        send({ type: "apply_finished", succeeded: 0, failed: 1, skipped: 0 });
        return { succeeded: [], failed: [[plan.steps[0].resource, { message: "AWS denied iam:CreateUser to arn:x", hint: null }]], skipped: [] };
      }
      throw new Error(cmd);
    });
    render(ReviewStep);
    expect((await screen.findByText("aws.iam_user/slipway-ecr-pusher")).tagName).toBe("CODE");
    expect(screen.queryByText("aws.ecr_repository/slipway/api/main")).toBeNull();
    expect(screen.getByRole("heading", { level: 2 }).textContent).toContain("1 to create, 0 to update, 0 to delete, 1 unchanged");
    await fireEvent.click(screen.getByRole("button", { name: "Apply 1 change" }));
    expect(wizard.current).toBe("apply");
    cleanup();

    render(ApplyStep);
    const result = await screen.findByText(/0 done, 1 failed, 0 skipped/);
    expect(result.className).toBe("failure");
    const row = document.querySelector("#apply-log li")!;
    expect(row.getAttribute("data-state")).toBe("failed");
    expect(row.textContent).toContain("AWS denied iam:CreateUser to arn:x");
  });
});

import GithubStep from "./GithubStep.svelte";
import type { TokenReport } from "./api";

const passing: TokenReport = {
  login: "octo",
  token: { kind: "classic", scopes: ["repo", "workflow", "admin:org"] },
  expires_at: "2027-03-01 00:00:00 UTC",
  organization: "acme",
  org_role: "admin",
  capabilities: [
    { id: "org_runners", title: "Manage the organization's self-hosted runners", grant: "yes", fix: null },
    { id: "workflows", title: "Create and update workflow files", grant: "yes", fix: null },
  ],
  new_token_url: "https://github.com/settings/tokens/new?scopes=repo,workflow,admin:org&description=Slipway",
};

describe("GitHub step", () => {
  const data = { organization: "acme", api_url: "https://api.github.com", token_in_keychain: false, repositories: [], branches: ["main"], build_all_branches: false, builds: {} };

  it("checks a typed token, clears it from the page, and keeps it only when it passes", async () => {
    const calls: { cmd: string; args: any }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "github_step_data") return data;
      if (cmd === "github_check") return passing;
      if (cmd === "github_keep_token") return null;
      throw new Error(cmd);
    });
    render(GithubStep);
    const token = (await screen.findByPlaceholderText("ghp_… or github_pat_…")) as HTMLInputElement;
    await fireEvent.input(token, { target: { value: "ghp_typed" } });
    await fireEvent.click(screen.getByRole("button", { name: "Check token" }));
    await screen.findByText("you are admin");
    expect(calls.find((c) => c.cmd === "github_check")!.args.request).toEqual({
      token: { source: "typed", token: "ghp_typed" }, organization: "acme", api_url: null,
    });
    expect(token.value).toBe("");
    await fireEvent.click(screen.getByRole("button", { name: "Keep the token in the keychain" }));
    await screen.findByText("The token is in the keychain.");
    const keep = calls.find((c) => c.cmd === "github_keep_token")!;
    expect(JSON.stringify(keep.args)).not.toContain("ghp_typed");
  });

  it("names what is missing and offers no way to keep a failing token", async () => {
    const failing: TokenReport = {
      ...passing,
      capabilities: [{ id: "workflows", title: "Create and update workflow files", grant: "no", fix: "add the `workflow` scope to the token" }],
    };
    mockIPC((cmd) => {
      if (cmd === "github_step_data") return data;
      if (cmd === "github_check") return failing;
      throw new Error(cmd);
    });
    render(GithubStep);
    const token = await screen.findByPlaceholderText("ghp_… or github_pat_…");
    await fireEvent.input(token, { target: { value: "ghp_weak" } });
    await fireEvent.click(screen.getByRole("button", { name: "Check token" }));
    const cap = await screen.findByText("Create and update workflow files", { exact: false });
    expect(cap.closest("li")!.getAttribute("data-grant")).toBe("no");
    expect(cap.closest("li")!.querySelector("code")!.textContent).toBe("workflow");
    expect(screen.queryByRole("button", { name: "Keep the token in the keychain" })).toBeNull();
    expect(document.getElementById("gh-missing")!.textContent).toContain("scopes=repo,workflow,admin:org");
  });
});

describe("Review of a changed workflow file", () => {
  it("shows the engine's unified diff with added and removed lines marked", async () => {
    mockIPC((cmd) => {
      if (cmd === "plan_changes")
        return {
          steps: [{
            resource: { kind: "github.workflow_file", name: "api" }, action: "update", reason: "content changed",
            changes: [{ attribute: "content", from: "a\nB\n", to: "a\nb\n", diff: "--- now\n+++ planned\n@@ -1,2 +1,2 @@\n a\n-B\n+b\n" }],
          }],
        };
      throw new Error(cmd);
    });
    render(ReviewStep);
    await screen.findByText("github.workflow_file/api");
    const pre = document.querySelector("pre.diff")!;
    expect([...pre.querySelectorAll(".del")].map((e) => e.textContent!.trim())).toEqual(["-B"]);
    expect([...pre.querySelectorAll(".add")].map((e) => e.textContent!.trim())).toEqual(["+b"]);
  });
});

import DockerStep from "./DockerStep.svelte";

describe("Docker host step", () => {
  it("checks the chosen host and saves the runner settings", async () => {
    const calls: { cmd: string; args: any }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "docker_step_data")
        return {
          docker: { host: null, tls_cert_dir: null },
          runners: { count: 2, labels: [], image: "myoung34/github-runner:2.329.0", work_dir: "/var/lib/slipway/work", network_mode: "bridge", auth: "registration-token" },
          max_runners: 32,
          registry_password_saved: false,
          pat_in_container_warning: "The GitHub token will be stored in every runner container's environment",
        };
      if (cmd === "docker_check")
        return { id: "docker", title: "Docker engine", status: "ok", summary: "Docker 20.10 reachable at unix:///var/run/docker.sock", details: [{ label: "Runner image", value: "myoung34/github-runner:2.329.0 is not pulled yet (apply pulls it)" }], fix: null };
      if (cmd === "save_docker_settings") return null;
      throw new Error(cmd);
    });
    render(DockerStep);
    const count = (await screen.findByLabelText("How many")) as HTMLInputElement;
    expect(count.value).toBe("2");
    await fireEvent.input(count, { target: { value: "4" } });
    await fireEvent.input(screen.getByLabelText("Extra labels"), { target: { value: "gpu, large" } });
    await fireEvent.click(screen.getByRole("button", { name: "Check connection" }));
    await screen.findByText("myoung34/github-runner:2.329.0 is not pulled yet (apply pulls it)");
    await fireEvent.click(screen.getByRole("button", { name: "Save and review the plan" }));
    await tick();
    const saved = calls.find((c) => c.cmd === "save_docker_settings")!.args.input;
    expect(saved).toMatchObject({ count: 4, labels: ["gpu", "large"], network_mode: "bridge", host: null, pat_in_container: false, registry_username: null });
    expect(wizard.current).toBe("review");
  });

  it("asks for an SSH key on ssh:// hosts, keeps the registry password apart, and warns before the token goes into containers", async () => {
    const calls: { cmd: string; args: any }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "docker_step_data")
        return {
          docker: { host: null, tls_cert_dir: null },
          runners: { count: 1, labels: [], image: "registry.example/ci/runner:2", work_dir: "/var/lib/slipway/work", network_mode: "bridge", auth: "registration-token" },
          max_runners: 32,
          registry_password_saved: false,
          pat_in_container_warning: "anyone who can run `docker inspect` on the Docker host can read it",
        };
      if (cmd === "save_docker_settings") return null;
      throw new Error(cmd);
    });
    render(DockerStep);
    const hostField = await screen.findByLabelText("Host");
    expect(screen.queryByLabelText("SSH private key")).toBeNull();
    await fireEvent.input(hostField, { target: { value: "ssh://ci@build-1:2222" } });
    await fireEvent.input(await screen.findByLabelText("SSH private key"), { target: { value: "/home/me/.ssh/ci" } });
    expect(screen.queryByLabelText("TLS certificates")).toBeNull();

    await fireEvent.input(screen.getByLabelText(/Registry user/), { target: { value: "ci-bot" } });
    await fireEvent.input(await screen.findByLabelText("Registry password"), { target: { value: "s3cret" } });

    expect(screen.queryByRole("alert")).toBeNull();
    await fireEvent.click(screen.getByLabelText(/Put my GitHub token in each runner container/));
    expect((await screen.findByRole("alert")).textContent).toContain("docker inspect");

    await fireEvent.click(screen.getByRole("button", { name: "Save and review the plan" }));
    await tick();
    const saved = calls.find((c) => c.cmd === "save_docker_settings")!.args.input;
    expect(saved).toMatchObject({
      host: "ssh://ci@build-1:2222", ssh_identity: "/home/me/.ssh/ci", tls_cert_dir: null,
      registry_username: "ci-bot", registry_password: "s3cret", pat_in_container: true,
    });
  });
});

describe("Review step warnings", () => {
  it("warns when the plan puts the GitHub token into runner containers, and not otherwise", async () => {
    const runner = (auth: string) => ({
      resource: { kind: "docker.runner", name: "slipway-acme-1" }, action: "create", reason: "does not exist yet", changes: [],
      attributes: { auth, image: "x", labels: "self-hosted,linux,slipway", state: "running, online in GitHub" },
    });
    mockIPC((cmd) => {
      if (cmd === "plan_changes") return { steps: [runner("GitHub token in the container (ACCESS_TOKEN)")] };
      throw new Error(cmd);
    });
    render(ReviewStep);
    expect((await screen.findByRole("alert")).textContent).toContain("1 runner container(s) will hold your GitHub token");
    cleanup();
    clearMocks();
    mockIPC((cmd) => {
      if (cmd === "plan_changes") return { steps: [runner("registration token only")] };
      throw new Error(cmd);
    });
    render(ReviewStep);
    await screen.findByText("docker.runner/slipway-acme-1");
    expect(screen.queryByRole("alert")).toBeNull();
  });
});
