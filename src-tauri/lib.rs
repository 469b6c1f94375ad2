//! The desktop shell: a thin layer of Tauri commands over the engine. Nothing
//! here decides what to create; commands call the engine and return its
//! results (which never contain secrets) to the front end.

mod commands;
mod docker_commands;
mod github_commands;
mod state;
mod status_commands;

pub fn run() {
    tauri::Builder::default()
        .manage(state::AppState::default())
        .invoke_handler(tauri::generate_handler![
            commands::doctor,
            commands::app_info,
            commands::aws_step_data,
            commands::aws_connect,
            commands::aws_forget_keys,
            commands::save_aws_settings,
            github_commands::github_step_data,
            github_commands::github_check,
            github_commands::github_keep_token,
            github_commands::github_repositories,
            github_commands::github_dockerfiles,
            github_commands::save_repositories,
            docker_commands::docker_step_data,
            docker_commands::docker_check,
            docker_commands::save_docker_settings,
            commands::plan_changes,
            commands::apply_changes,
            status_commands::status_report,
            status_commands::rotate_push_key,
        ])
        .run(tauri::generate_context!())
        .expect("the Slipway window could not start");
}
