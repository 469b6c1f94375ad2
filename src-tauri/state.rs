//! What the desktop app remembers while it runs: the admin's AWS session
//! (typed keys live here in memory only), a GitHub token being checked (in
//! memory until it passes and the user keeps it), and the plan under review.

use secrecy::SecretString;
use slipway_engine::aws::AwsSession;
use slipway_engine::plan::Plan;
use tokio::sync::Mutex;

#[derive(Default)]
pub struct AppState {
    pub aws: Mutex<Option<AwsSession>>,
    pub plan: Mutex<Option<Plan>>,
    pub github_token: Mutex<Option<SecretString>>,
}
