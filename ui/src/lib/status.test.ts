// Front-end tests of the Status window and the teardown review it leads to,
// in jsdom with Tauri's IPC mock standing in for the Rust commands.
import { cleanup, fireEvent, render, screen, within } from "@testing-library/svelte";
import { mockIPC, clearMocks } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import { tick } from "svelte";
import StatusStep from "./StatusStep.svelte";
import ReviewStep from "./ReviewStep.svelte";
import { wizard } from "./wizard.svelte";
import type { StatusReport } from "./api";

const report: StatusReport = {
  organization: "acme",
  aws_auth: "access_key",
  runners: {
    state: "ready",
    items: [
      { name: "slipway-acme-1", container: "running", github: "online", busy: true, wanted: true, stray: false },
      { name: "slipway-acme-2", container: "stopped", github: "offline", busy: false, wanted: true, stray: false },
    ],
  },
  workflow_runs: {
    state: "ready",
    items: [
      { repository: "api", runs: [{ id: 7, branch: "main", status: "completed", conclusion: "failure", event: "push", created_at: "2026-11-27T10:00:00Z", html_url: "https://github.com/acme/api/actions/runs/7", path: ".github/workflows/slipway-ecr.yml" }] },
      { repository: "web", runs: [] },
    ],
  },
  images: { state: "unavailable", reason: "sign in as the AWS admin in the AWS step to list images" },
  credentials: [
    { id: "github", title: "GitHub token", status: "ok", summary: "octo can do everything Slipway needs in acme", details: [{ label: "Expires", value: "2027-01-01 00:00:00 UTC" }], fix: null },
    { id: "aws-push", title: "ECR push identity", status: "error", summary: "AWS refuses access key AKIA1", details: [], fix: "Rotate the key" },
  ],
};

afterEach(() => {
  cleanup();
  clearMocks();
  wizard.teardown = null;
  wizard.removeStrays = false;
});

describe("Status window", () => {
  it("shows runners from both sides, runs, why a section is empty, and credential problems with the fix", async () => {
    mockIPC((cmd) => {
      if (cmd === "status_report") return report;
      throw new Error(cmd);
    });
    render(StatusStep);
    await screen.findByText("slipway-acme-1");
    const rows = await screen.findAllByRole("row");
    const runner1 = rows.find((r) => r.getAttribute("data-runner") === "slipway-acme-1")!;
    expect(runner1.textContent).toContain("running");
    expect(runner1.textContent).toContain("online");
    expect(runner1.textContent).toContain("running a job");
    const runner2 = rows.find((r) => r.getAttribute("data-runner") === "slipway-acme-2")!;
    expect(within(runner2).getByText("stopped").dataset.good).toBe("false");
    const api = rows.find((r) => r.getAttribute("data-repo") === "api")!;
    expect(within(api).getByText("failure").dataset.bad).toBe("true");
    const web = rows.find((r) => r.getAttribute("data-repo") === "web")!;
    expect(web.textContent).toContain("no runs yet");
    expect(screen.getByText(/sign in as the AWS admin in the AWS step to list images/)).toBeTruthy();
    expect(screen.getByText("AWS refuses access key AKIA1")).toBeTruthy();
    expect(screen.getByText("Rotate the key")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Rotate the push key" })).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Review their removal" })).toBeNull();
  });

  it("points out another install's runners and plans their removal only when asked", async () => {
    const calls: { cmd: string; args: any }[] = [];
    const withStray: StatusReport = {
      ...report,
      runners: {
        state: "ready",
        items: [{ name: "slipway-acme-3", container: "running", github: "online", busy: false, wanted: false, stray: true }],
      },
    };
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "status_report") return withStray;
      if (cmd === "plan_changes") return { steps: [{ resource: { kind: "docker.stray_runner", name: "slipway-acme-3" }, action: "delete", reason: "no longer in the desired state", changes: [] }] };
      throw new Error(cmd);
    });
    render(StatusStep);
    const row = (await screen.findByText("slipway-acme-3")).closest("tr")!;
    expect(row.textContent).toContain("made by another Slipway install");
    await fireEvent.click(screen.getByRole("button", { name: "Review their removal" }));
    expect(wizard.current).toBe("review");
    cleanup();
    render(ReviewStep);
    await screen.findByText("docker.stray_runner/slipway-acme-3");
    expect(calls.find((c) => c.cmd === "plan_changes")!.args).toMatchObject({ teardown: null, removeStrayRunners: true });
  });

  it("offers no rotation in OIDC mode and sends a teardown to the review with the user's choice", async () => {
    const calls: { cmd: string; args: any }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "status_report") return { ...report, aws_auth: "oidc" };
      if (cmd === "plan_changes") return { steps: [{ resource: { kind: "docker.runner", name: "slipway-acme-1" }, action: "delete", reason: "not wanted", changes: [] }] };
      throw new Error(cmd);
    });
    render(StatusStep);
    await screen.findByText("AWS refuses access key AKIA1");
    expect(screen.queryByRole("button", { name: "Rotate the push key" })).toBeNull();
    await fireEvent.click(screen.getByRole("button", { name: "Tear everything down…" }));
    await fireEvent.click(screen.getByLabelText(/Also delete the ECR repositories/));
    await fireEvent.click(screen.getByRole("button", { name: "Review the teardown plan" }));
    expect(wizard.teardown).toEqual({ delete_repositories: true });
    expect(wizard.current).toBe("review");

    cleanup();
    render(ReviewStep);
    await screen.findByText("docker.runner/slipway-acme-1");
    expect(calls.find((c) => c.cmd === "plan_changes")!.args.teardown).toEqual({ delete_repositories: true });
    expect(screen.getByRole("heading", { name: "Review the teardown" })).toBeTruthy();
    expect(screen.getByText(/every image in them are deleted too/)).toBeTruthy();
    await fireEvent.click(screen.getByRole("button", { name: "Cancel the teardown" }));
    await tick();
    expect(wizard.teardown).toBeNull();
    expect(wizard.current).toBe("status");
  });
});
