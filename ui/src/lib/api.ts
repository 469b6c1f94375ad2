// Typed calls into the Rust side. The front end talks to the engine only
// through these Tauri commands; it decides nothing about what to create.
import { invoke } from "@tauri-apps/api/core";

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
}

export function runDoctor(): Promise<DoctorReport> {
  return invoke<DoctorReport>("doctor");
}

export function appInfo(): Promise<AppInfo> {
  return invoke<AppInfo>("app_info");
}
