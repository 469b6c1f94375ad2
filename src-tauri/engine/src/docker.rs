//! Docker hosts: connecting to the engine the runners live on (local socket,
//! `DOCKER_HOST`, TCP with TLS, SSH) and describing it. Connection failures are
//! turned into messages that say which socket or certificate to check.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::Docker;
use serde::Serialize;
use thiserror::Error;

use crate::config::DockerSettings;

pub mod ssh;

const CONNECT_TIMEOUT_SECS: u64 = 10;

/// Where the engine is, resolved from the settings and the environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DockerEndpoint {
    /// A Unix socket or a Windows named pipe.
    Local { address: String },
    /// TCP, with TLS when a certificate directory is given.
    Tcp {
        address: String,
        tls_cert_dir: Option<PathBuf>,
    },
    /// `ssh://[user@]host[:port]`: the system `ssh` runs
    /// `docker system dial-stdio` on the host.
    Ssh {
        address: String,
        identity: Option<PathBuf>,
    },
}

impl DockerEndpoint {
    /// Settings first, then `DOCKER_HOST` (with `DOCKER_CERT_PATH`), then the
    /// platform's local socket.
    pub fn resolve(settings: &DockerSettings) -> Result<Self, DockerError> {
        let from_env = std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty());
        let host = settings.host.clone().or(from_env);
        let cert_dir = settings
            .tls_cert_dir
            .clone()
            .or_else(|| std::env::var_os("DOCKER_CERT_PATH").map(PathBuf::from));
        match host {
            None => Ok(DockerEndpoint::Local {
                address: default_local_address().to_string(),
            }),
            Some(h) if h.starts_with("unix://") || h.starts_with("npipe://") => {
                Ok(DockerEndpoint::Local { address: h })
            }
            Some(h)
                if h.starts_with("tcp://")
                    || h.starts_with("http://")
                    || h.starts_with("https://") =>
            {
                Ok(DockerEndpoint::Tcp {
                    address: h,
                    tls_cert_dir: cert_dir,
                })
            }
            Some(h) if h.starts_with("ssh://") => {
                ssh::SshTarget::parse(&h, None).map_err(DockerError::BadAddress)?;
                Ok(DockerEndpoint::Ssh {
                    address: h,
                    identity: settings.ssh_identity.clone(),
                })
            }
            Some(h) => Err(DockerError::UnsupportedHost(h)),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            DockerEndpoint::Local { address } => address.clone(),
            DockerEndpoint::Tcp {
                address,
                tls_cert_dir: Some(_),
            } => format!("{address} (TLS)"),
            DockerEndpoint::Tcp {
                address,
                tls_cert_dir: None,
            } => format!("{address} (no TLS)"),
            DockerEndpoint::Ssh { address, .. } => address.clone(),
        }
    }
}

fn default_local_address() -> &'static str {
    if cfg!(windows) {
        "npipe:////./pipe/docker_engine"
    } else {
        "unix:///var/run/docker.sock"
    }
}

#[derive(Debug, Error)]
pub enum DockerError {
    #[error("unsupported Docker host \"{0}\": use unix://PATH, npipe://PATH, tcp://HOST:PORT or ssh://USER@HOST")]
    UnsupportedHost(String),
    #[error("no Docker engine socket at {socket}. Start the engine (Linux: `sudo systemctl start docker`; macOS/Windows: start Docker Desktop) or point Slipway at another host")]
    SocketMissing { socket: String },
    #[error("permission denied on {socket}. Add your user to the docker group (`sudo usermod -aG docker $USER`, then log out and in) or choose a host you may use")]
    PermissionDenied { socket: String },
    #[error("the Docker engine at {address} refused the connection. Check that it is running and listening there")]
    Refused { address: String },
    #[error("no answer from the Docker engine at {address} within {CONNECT_TIMEOUT_SECS} s. Check the address, the network and the firewall")]
    Timeout { address: String },
    #[error("TLS setup for {address} failed: {detail}. The certificate directory must hold ca.pem, cert.pem and key.pem (as written by `docker context` or docker-machine)")]
    Tls { address: String, detail: String },
    #[error("{0}")]
    BadAddress(String),
    #[error("the SSH server at {address} refused the key (permission denied). Add your public key to the host's ~/.ssh/authorized_keys, or choose the right private key in the Docker host settings")]
    SshAuth { address: String },
    #[error("the host key of {address} is unknown or does not match ~/.ssh/known_hosts ({detail}). Connect once with ssh in a terminal to check and accept its fingerprint; if the host was reinstalled, remove the old entry first (`ssh-keygen -R HOST`)")]
    SshHostKey { address: String, detail: String },
    #[error("ssh to {address} failed: {detail}. Check that `ssh` reaches the host without a password prompt (a key in the agent or the Docker host settings)")]
    Ssh { address: String, detail: String },
    #[error("ssh reached {address}, but Docker there failed: {detail}. Install the Docker CLI and engine on that host and make sure the SSH user may use its Docker socket (docker group)")]
    SshRemoteDocker { address: String, detail: String },
    #[error("the Docker engine at {address} answered with an error: {detail}")]
    Engine { address: String, detail: String },
}

/// What the doctor and the host step show about an engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EngineInfo {
    pub endpoint: String,
    pub version: String,
    pub api_version: String,
    pub os: String,
    pub arch: String,
    pub cpus: u64,
    pub memory_bytes: u64,
}

/// Connects and asks the engine who it is (ping, version, info).
pub async fn connect(endpoint: &DockerEndpoint) -> Result<(Docker, EngineInfo), DockerError> {
    if let DockerEndpoint::Ssh {
        address,
        identity: Some(key),
    } = endpoint
    {
        if !key.is_file() {
            return Err(DockerError::Ssh {
                address: address.clone(),
                detail: format!("the private key {} does not exist", key.display()),
            });
        }
    }
    let docker = client(endpoint)?;
    let address = endpoint.describe();
    let probe = async {
        let version = docker.version().await?;
        let info = docker.info().await?;
        Ok::<_, bollard::errors::Error>((version, info))
    };
    let probed = tokio::time::timeout(Duration::from_secs(CONNECT_TIMEOUT_SECS), probe)
        .await
        .map_err(|_| DockerError::Timeout {
            address: address.clone(),
        })
        .and_then(|r| r.map_err(|e| classify(endpoint, e)));
    let (version, info) = match (probed, endpoint) {
        (Ok(answer), _) => answer,
        // The data connection cannot carry ssh's own words: ask once more
        // with a plain `docker version` over ssh to say what went wrong.
        (Err(error), DockerEndpoint::Ssh { address, identity }) => {
            let target = ssh::SshTarget::parse(address, identity.clone())
                .map_err(DockerError::BadAddress)?;
            return Err(
                match target
                    .preflight(Duration::from_secs(CONNECT_TIMEOUT_SECS + 5))
                    .await
                {
                    Err(detail) => classify_ssh(address.clone(), detail),
                    Ok(()) => error,
                },
            );
        }
        (Err(error), _) => return Err(error),
    };
    let engine = EngineInfo {
        endpoint: address,
        version: version.version.unwrap_or_default(),
        api_version: version.api_version.unwrap_or_default(),
        os: info.operating_system.or(version.os).unwrap_or_default(),
        arch: info.architecture.or(version.arch).unwrap_or_default(),
        cpus: info.ncpu.unwrap_or_default().max(0) as u64,
        memory_bytes: info.mem_total.unwrap_or_default().max(0) as u64,
    };
    Ok((docker, engine))
}

fn client(endpoint: &DockerEndpoint) -> Result<Docker, DockerError> {
    let version = bollard::API_DEFAULT_VERSION;
    match endpoint {
        DockerEndpoint::Local { address } => {
            #[cfg(unix)]
            {
                let path = address.trim_start_matches("unix://");
                if !Path::new(path).exists() {
                    return Err(DockerError::SocketMissing {
                        socket: path.to_string(),
                    });
                }
                Docker::connect_with_socket(path, CONNECT_TIMEOUT_SECS, version)
                    .map_err(|e| classify(endpoint, e))
            }
            #[cfg(windows)]
            {
                Docker::connect_with_named_pipe(address, CONNECT_TIMEOUT_SECS, version)
                    .map_err(|e| classify(endpoint, e))
            }
        }
        DockerEndpoint::Tcp {
            address,
            tls_cert_dir: Some(dir),
        } => {
            let file = |name: &str| dir.join(name);
            for name in ["ca.pem", "cert.pem", "key.pem"] {
                if !file(name).is_file() {
                    return Err(DockerError::Tls {
                        address: address.clone(),
                        detail: format!("{} is missing", file(name).display()),
                    });
                }
            }
            // Idempotent: an error only says a provider was installed already.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let url = address.replacen("tcp://", "https://", 1);
            Docker::connect_with_ssl(
                &url,
                &file("key.pem"),
                &file("cert.pem"),
                &file("ca.pem"),
                CONNECT_TIMEOUT_SECS,
                version,
            )
            .map_err(|e| classify(endpoint, e))
        }
        DockerEndpoint::Tcp {
            address,
            tls_cert_dir: None,
        } => Docker::connect_with_http(address, CONNECT_TIMEOUT_SECS, version)
            .map_err(|e| classify(endpoint, e)),
        DockerEndpoint::Ssh { address, identity } => {
            let target = ssh::SshTarget::parse(address, identity.clone())
                .map_err(DockerError::BadAddress)?;
            target
                .client(CONNECT_TIMEOUT_SECS)
                .map_err(|e| classify(endpoint, e))
        }
    }
}

/// Maps a bollard error to what the user should check, by walking its causes.
fn classify(endpoint: &DockerEndpoint, error: bollard::errors::Error) -> DockerError {
    use bollard::errors::Error as B;
    let address = endpoint.describe();
    let socket = address.trim_start_matches("unix://").to_string();
    match &error {
        B::SocketNotFoundError(path) => {
            return DockerError::SocketMissing {
                socket: path.clone(),
            }
        }
        B::RequestTimeoutError => return DockerError::Timeout { address },
        B::CertPathError { .. }
        | B::CertMultipleKeys { .. }
        | B::CertParseError { .. }
        | B::NoNativeCertsError { .. } => {
            return DockerError::Tls {
                address,
                detail: error.to_string(),
            }
        }
        _ => {}
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::PermissionDenied => {
                    return DockerError::PermissionDenied { socket }
                }
                std::io::ErrorKind::NotFound => return DockerError::SocketMissing { socket },
                std::io::ErrorKind::ConnectionRefused => return DockerError::Refused { address },
                _ => {}
            }
        }
        let text = e.to_string().to_ascii_lowercase();
        if text.contains("certificate") || text.contains("tls") || text.contains("handshake") {
            return DockerError::Tls {
                address,
                detail: e.to_string(),
            };
        }
        source = e.source();
    }
    DockerError::Engine {
        address,
        detail: error.to_string(),
    }
}

/// What ssh (or docker on the host) said, as the message with the fix.
fn classify_ssh(address: String, detail: String) -> DockerError {
    let lower = detail.to_ascii_lowercase();
    if lower.contains("docker daemon")
        || lower.contains("docker: command not found")
        || lower.contains("docker: not found")
        || lower.contains("command not found")
    {
        DockerError::SshRemoteDocker { address, detail }
    } else if lower.contains("permission denied") {
        DockerError::SshAuth { address }
    } else if lower.contains("host key verification failed")
        || lower.contains("remote host identification has changed")
    {
        DockerError::SshHostKey { address, detail }
    } else {
        DockerError::Ssh { address, detail }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_win_over_the_environment_and_unknown_schemes_are_refused() {
        let settings = DockerSettings {
            host: Some("tcp://10.0.0.5:2376".into()),
            tls_cert_dir: Some("/certs".into()),
            ssh_identity: None,
        };
        assert_eq!(
            DockerEndpoint::resolve(&settings).unwrap(),
            DockerEndpoint::Tcp {
                address: "tcp://10.0.0.5:2376".into(),
                tls_cert_dir: Some("/certs".into())
            }
        );
        let bad = DockerSettings {
            host: Some("ftp://x".into()),
            tls_cert_dir: None,
            ssh_identity: None,
        };
        let err = DockerEndpoint::resolve(&bad).unwrap_err().to_string();
        assert!(err.contains("unix://PATH"), "{err}");
    }

    #[tokio::test]
    async fn a_missing_socket_says_to_start_the_engine() {
        let endpoint = DockerEndpoint::Local {
            address: "unix:///nonexistent/docker.sock".into(),
        };
        let err = connect(&endpoint).await.unwrap_err();
        assert!(matches!(err, DockerError::SocketMissing { .. }), "{err:?}");
        assert!(err.to_string().contains("Start the engine"), "{err}");
    }

    #[tokio::test]
    async fn missing_tls_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let endpoint = DockerEndpoint::Tcp {
            address: "tcp://127.0.0.1:1".into(),
            tls_cert_dir: Some(dir.path().to_path_buf()),
        };
        let err = connect(&endpoint).await.unwrap_err().to_string();
        assert!(err.contains("ca.pem is missing"), "{err}");
    }

    #[tokio::test]
    async fn a_closed_port_is_reported_as_refused() {
        let endpoint = DockerEndpoint::Tcp {
            address: "tcp://127.0.0.1:1".into(),
            tls_cert_dir: None,
        };
        let err = connect(&endpoint).await.unwrap_err();
        assert!(matches!(err, DockerError::Refused { .. }), "{err:?}");
    }
}
