//! SSH Docker hosts: HTTP to the engine over
//! `ssh [-p PORT] [-l USER] [-i KEY] -- HOST docker system dial-stdio`, one
//! ssh process per connection (as the docker CLI does), plugged into bollard
//! as a custom transport. The system `ssh` does the authentication, so the
//! user's agent, keys, `~/.ssh/config` and known hosts apply; it runs with
//! `BatchMode=yes`, so it never waits for a password prompt nobody sees.

use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bollard::{BollardRequest, Docker};
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// Where `ssh://[user@]host[:port]` points, and which key to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshTarget {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    pub identity: Option<PathBuf>,
}

impl SshTarget {
    /// Parses `ssh://[user@]host[:port]` (IPv6 hosts in brackets).
    pub fn parse(address: &str, identity: Option<PathBuf>) -> Result<Self, String> {
        let rest = address
            .strip_prefix("ssh://")
            .ok_or_else(|| format!("{address} does not start with ssh://"))?
            .trim_end_matches('/');
        let (user, host_port) = match rest.rsplit_once('@') {
            Some((u, h)) => (Some(u.to_string()).filter(|u| !u.is_empty()), h),
            None => (None, rest),
        };
        let (host, port) = if let Some(v6) = host_port.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or_else(|| {
                format!("{address}: an IPv6 host needs its closing ], as in ssh://user@[::1]:22")
            })?;
            (host.to_string(), after.strip_prefix(':'))
        } else {
            match host_port.split_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (host_port.to_string(), None),
            }
        };
        let port = port
            .map(|p| {
                p.parse::<u16>().map_err(|_| {
                    format!(
                        "{address}: \"{p}\" is not a port number; write it as ssh://user@host:2222"
                    )
                })
            })
            .transpose()?;
        if host.is_empty() || host.starts_with('-') || host.contains(char::is_whitespace) {
            return Err(format!("{address}: name a host, as in ssh://user@host"));
        }
        Ok(Self {
            user,
            host,
            port,
            identity,
        })
    }

    /// The ssh command running `remote` on the host (arguments, never a shell
    /// string built from user input on this side).
    pub fn command(&self, remote: &[&str]) -> Command {
        let mut c = Command::new("ssh");
        c.args(["-o", "BatchMode=yes", "-o", "ConnectTimeout=10"]);
        if let Some(port) = self.port {
            c.arg("-p").arg(port.to_string());
        }
        if let Some(user) = &self.user {
            c.arg("-l").arg(user);
        }
        if let Some(key) = &self.identity {
            c.args(["-o", "IdentitiesOnly=yes", "-i"]).arg(key);
        }
        c.arg("--").arg(&self.host).args(remote);
        c.stdin(Stdio::null()).kill_on_drop(true);
        c
    }

    /// Runs `docker version` on the host, so a failed connection is
    /// explained in ssh's or docker's own words (the data connections
    /// cannot carry them).
    pub async fn preflight(&self, timeout: Duration) -> Result<(), String> {
        let mut command = self.command(&["docker", "version", "--format", "{{.Server.Version}}"]);
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let output = tokio::time::timeout(timeout, command.output())
            .await
            .map_err(|_| format!("no answer within {} s", timeout.as_secs()))?
            .map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => {
                    "the ssh command is not installed on this machine (install OpenSSH's client)"
                        .to_string()
                }
                _ => format!("could not run ssh: {e}"),
            })?;
        if output.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("Warning: Permanently added"))
            .collect();
        Err(if lines.is_empty() {
            format!("ssh exited with {}", output.status)
        } else {
            lines.join(" ")
        })
    }

    /// A bollard client whose connections are `docker system dial-stdio`.
    pub fn client(self, timeout_secs: u64) -> Result<Docker, bollard::errors::Error> {
        let connector = SshConnector {
            target: Arc::new(self),
        };
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Docker::connect_with_custom_transport(
            move |request: BollardRequest| {
                let client = client.clone();
                async move {
                    client
                        .request(request)
                        .await
                        .map_err(bollard::errors::Error::from)
                }
            },
            Some("ssh://docker"),
            timeout_secs,
            bollard::API_DEFAULT_VERSION,
        )
    }
}

#[derive(Clone)]
struct SshConnector {
    target: Arc<SshTarget>,
}

impl tower_service::Service<http::Uri> for SshConnector {
    type Response = TokioIo<SshStream>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Uri) -> Self::Future {
        let target = self.target.clone();
        Box::pin(async move {
            let mut child = target
                .command(&["docker", "system", "dial-stdio"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()?;
            let stdin = child
                .stdin
                .take()
                .ok_or_else(|| io::Error::other("no stdin"))?;
            let stdout = child
                .stdout
                .take()
                .ok_or_else(|| io::Error::other("no stdout"))?;
            Ok(TokioIo::new(SshStream {
                _child: child,
                stdin,
                stdout,
            }))
        })
    }
}

/// One connection: the ssh process's stdout to read, its stdin to write.
/// Dropping it kills the process.
struct SshStream {
    _child: Child,
    stdin: ChildStdin,
    stdout: ChildStdout,
}

impl AsyncRead for SshStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stdout).poll_read(cx, buf)
    }
}

impl AsyncWrite for SshStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stdin).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stdin).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stdin).poll_shutdown(cx)
    }
}

impl Connection for SshStream {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_give_user_host_and_port() {
        let t = SshTarget::parse("ssh://ci@build-1.lan:2222", None).unwrap();
        assert_eq!(
            (t.user.as_deref(), t.host.as_str(), t.port),
            (Some("ci"), "build-1.lan", Some(2222))
        );
        let t = SshTarget::parse("ssh://[::1]:22", None).unwrap();
        assert_eq!((t.user, t.host.as_str(), t.port), (None, "::1", Some(22)));
        let t = SshTarget::parse("ssh://host", None).unwrap();
        assert_eq!((t.host.as_str(), t.port), ("host", None));
        assert!(SshTarget::parse("ssh://u@h:port", None)
            .unwrap_err()
            .contains("not a port number"));
        assert!(SshTarget::parse("ssh://-oProxyCommand=x", None)
            .unwrap_err()
            .contains("name a host"));
    }

    #[test]
    fn the_command_passes_the_host_after_a_double_dash() {
        let t = SshTarget::parse("ssh://ci@h:2200", Some("/k/id".into())).unwrap();
        let c = t.command(&["docker", "system", "dial-stdio"]);
        let args: Vec<String> = c
            .as_std()
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args.join(" "),
            "-o BatchMode=yes -o ConnectTimeout=10 -p 2200 -l ci -o IdentitiesOnly=yes -i /k/id -- h docker system dial-stdio"
        );
    }
}
