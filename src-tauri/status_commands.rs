//! Tauri commands of the Status window: what is running and healthy, and
//! the reconfigure actions that are not a settings step (key rotation).

use slipway_engine::events::ProgressEvent;
use slipway_engine::providers::RotationOutcome;
use slipway_engine::secrets::Keychain;
use slipway_engine::status::{collect, StatusReport};
use tauri::ipc::Channel;
use tauri::State;

use crate::commands::{load_state, provider};
use crate::state::AppState;

/// Observes runners, workflow runs, images and credentials. Uses the admin
/// session when the user has signed in (AWS step), the push key otherwise.
#[tauri::command]
pub async fn status_report(state: State<'_, AppState>) -> Result<StatusReport, String> {
    let desired = load_state()?;
    let admin = state.aws.lock().await.clone();
    Ok(collect(&desired, &Keychain::default(), admin.as_ref()).await)
}

/// Rotates the ECR push key (new key → keychain → repositories → old key
/// deleted), streaming the GitHub steps' progress.
#[tauri::command]
pub async fn rotate_push_key(
    on_event: Channel<ProgressEvent>,
    state: State<'_, AppState>,
) -> Result<RotationOutcome, String> {
    let (desired, p) = provider(&state).await?;
    let sink = |event: ProgressEvent| {
        let _ = on_event.send(event);
    };
    let outcome = p.rotate_push_key(&desired, &sink).await;
    *state.plan.lock().await = None;
    outcome
}
