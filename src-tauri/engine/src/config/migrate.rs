//! Schema migrations of the desired-state file, one function per version step,
//! applied to the raw TOML table before it is typed.
//!
//! History:
//! - v1 (pre-release): runner settings lived in `[docker]` as `runners`,
//!   `runner_labels` and `runner_image`.
//! - v2: runner settings have their own `[runners]` table (`count`, `labels`,
//!   `image`), so the Docker host can change without touching them.

use toml::{Table, Value};

pub const CURRENT_SCHEMA_VERSION: u32 = 2;

/// Reads `schema_version` from a raw file.
pub(super) fn schema_version_of(raw: &Table) -> Result<u32, String> {
    match raw.get("schema_version") {
        Some(Value::Integer(v)) if *v >= 1 => {
            u32::try_from(*v).map_err(|_| "schema_version is out of range".to_string())
        }
        Some(_) => Err("schema_version must be a positive integer".to_string()),
        None => {
            Err("schema_version is missing; this does not look like a Slipway config".to_string())
        }
    }
}

/// Applies every step from `from` up to the current version.
pub(super) fn to_current(mut raw: Table, from: u32) -> Result<Table, String> {
    let mut version = from;
    while version < CURRENT_SCHEMA_VERSION {
        raw = match version {
            1 => v1_to_v2(raw)?,
            other => return Err(format!("no migration from version {other}")),
        };
        version += 1;
        raw.insert("schema_version".into(), Value::Integer(version.into()));
    }
    Ok(raw)
}

fn v1_to_v2(mut raw: Table) -> Result<Table, String> {
    let mut runners = Table::new();
    if let Some(Value::Table(docker)) = raw.get_mut("docker") {
        if let Some(count) = docker.remove("runners") {
            runners.insert("count".into(), count);
        }
        if let Some(labels) = docker.remove("runner_labels") {
            runners.insert("labels".into(), labels);
        }
        if let Some(image) = docker.remove("runner_image") {
            runners.insert("image".into(), image);
        }
    }
    let defaults = super::RunnerSettings::default();
    runners
        .entry("count")
        .or_insert(Value::Integer(defaults.count.into()));
    runners
        .entry("image")
        .or_insert(Value::String(defaults.image));
    if raw.contains_key("runners") {
        return Err(
            "it has both a v1 `[docker] runners` setting and a v2 `[runners]` table".into(),
        );
    }
    raw.insert("runners".into(), Value::Table(runners));
    Ok(raw)
}
