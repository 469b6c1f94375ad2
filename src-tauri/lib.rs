//! The desktop shell: a thin layer of Tauri commands over the engine. Nothing
//! here decides what to create; commands call the engine and return its
//! results (which never contain secrets) to the front end.

mod commands;

pub fn run() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![
            commands::doctor,
            commands::app_info
        ])
        .run(tauri::generate_context!())
        .expect("the Slipway window could not start");
}
