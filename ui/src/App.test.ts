// Front-end tests: the wizard frame and the doctor step, rendered in jsdom
// with Tauri's own IPC mock standing in for the Rust side.
import { cleanup, render, screen, within } from "@testing-library/svelte";
import { mockIPC, clearMocks } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import App from "./App.svelte";
import { wizard } from "./lib/wizard.svelte";
import type { DoctorReport, AppInfo } from "./lib/api";

const report: DoctorReport = {
  checks: [
    {
      id: "docker",
      title: "Docker engine",
      status: "ok",
      summary: "Docker 20.10.24 reachable at unix:///var/run/docker.sock",
      details: [{ label: "CPUs", value: "2" }],
      fix: null,
    },
    {
      id: "keychain",
      title: "OS keychain",
      status: "error",
      summary: "no usable keychain",
      details: [],
      fix: "install gnome-keyring",
    },
  ],
};

const info: AppInfo = {
  version: "0.1.0",
  config_path: "/home/u/.config/slipway/slipway.toml",
  config_exists: false,
  config_error: null,
  keychain_service: "dev.slipway",
  set_up: false,
};

function backend(overrides: Record<string, () => unknown> = {}) {
  const calls: string[] = [];
  mockIPC((cmd) => {
    calls.push(cmd);
    if (overrides[cmd]) return overrides[cmd]();
    if (cmd === "doctor") return report;
    if (cmd === "app_info") return info;
    throw new Error(`unexpected command ${cmd}`);
  });
  return calls;
}

afterEach(() => {
  cleanup();
  clearMocks();
  wizard.current = "doctor";
});

describe("wizard frame", () => {
  it("lists every step, the Status window last, all of them usable", () => {
    backend();
    render(App);
    const nav = screen.getByRole("navigation", { name: "Setup steps" });
    const buttons = within(nav).getAllByRole("button") as HTMLButtonElement[];
    expect(buttons.map((b) => b.dataset.step)).toEqual([
      "doctor", "github", "repos", "aws", "docker", "review", "apply", "status",
    ]);
    expect(buttons.filter((b) => b.disabled)).toEqual([]);
  });
});

describe("where the app opens", () => {
  it("opens on the checks for a new user and on Status once GitHub and AWS are set up", async () => {
    backend();
    render(App);
    await screen.findByText("Docker 20.10.24 reachable at unix:///var/run/docker.sock");
    expect(wizard.current).toBe("doctor");
    cleanup();
    clearMocks();

    backend({
      app_info: () => ({ ...info, config_exists: true, set_up: true }),
      status_report: () => ({
        organization: "acme", aws_auth: "oidc",
        runners: { state: "ready", items: [] }, workflow_runs: { state: "ready", items: [] },
        images: { state: "ready", items: [] }, credentials: [],
      }),
    });
    render(App);
    await screen.findByRole("heading", { name: "Status" });
    expect(wizard.current).toBe("status");
  });
});

describe("doctor step", () => {
  it("shows each check with its status and the fix for a problem", async () => {
    backend();
    render(App);
    const docker = await screen.findByText("Docker engine");
    const dockerCard = docker.closest("li")!;
    expect(dockerCard.dataset.check).toBe("docker");
    expect(within(dockerCard).getByText("OK")).toBeTruthy();
    const keychainCard = screen.getByText("OS keychain").closest("li")!;
    expect(within(keychainCard).getByText("Problem")).toBeTruthy();
    expect(keychainCard.textContent).toContain("install gnome-keyring");
    expect((await screen.findByText(info.config_path)).tagName).toBe("CODE");
  });

  it("reruns the checks on request", async () => {
    const calls = backend();
    render(App);
    await screen.findByText("Docker engine");
    screen.getByRole("button", { name: "Run checks again" }).click();
    await screen.findByText("Docker engine");
    await new Promise((r) => setTimeout(r, 0));
    expect(calls.filter((c) => c === "doctor").length).toBe(2);
  });

  it("says so when the checks cannot run", async () => {
    backend({ doctor: () => { throw new Error("engine crashed"); } });
    render(App);
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("engine crashed");
  });
});
