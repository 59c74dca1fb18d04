//! The embedded default database: a private PostgreSQL cluster that the service starts from the
//! machine's own PostgreSQL binaries when `DATABASE_URL` is not set.
//!
//! The cluster lives in `<data dir>/pgdata`, listens only on a Unix socket in `<data dir>/run`
//! (no TCP port, so it never collides with another server), and trusts local connections, which
//! only the owner of the socket folder can make. PostgreSQL refuses to run as root, so when we are
//! root every PostgreSQL program runs as the `postgres` user through `runuser`, and the folders
//! are handed to that user.
//!
//! Several processes may share one cluster (the test harness runs one process per test), so
//! starting it is guarded by a file lock, and a cluster that is already running is reused.

use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// The port number only names the socket file; nothing listens on TCP.
const PORT: u16 = 5432;
/// Unix socket paths longer than this (with the socket's file name) are refused by the kernel.
const MAX_SOCKET_PATH: usize = 100;
const SUPERUSER: &str = "postgres";

#[derive(Debug, Clone)]
pub struct EmbeddedPostgres {
    root: PathBuf,
    data_dir: PathBuf,
    socket_dir: PathBuf,
    bin_dir: PathBuf,
    /// The system user PostgreSQL runs as when we are root.
    run_as: Option<Owner>,
}

#[derive(Debug, Clone)]
struct Owner {
    name: String,
    uid: u32,
    gid: u32,
}

impl EmbeddedPostgres {
    /// Finds the PostgreSQL binaries and works out the cluster's folders under `root`.
    pub fn new(root: &Path) -> anyhow::Result<Self> {
        let bin_dir = find_bin_dir().ok_or_else(|| {
            anyhow::anyhow!(
                "PostgreSQL server programs (initdb, pg_ctl) were not found on PATH or under \
                 /usr/lib/postgresql/*/bin. Install them (Debian/Ubuntu: `apt-get install -y \
                 postgresql`), or set DATABASE_URL to an existing PostgreSQL server."
            )
        })?;
        fs::create_dir_all(root).with_context(|| format!("creating {}", root.display()))?;
        let root = root
            .canonicalize()
            .with_context(|| format!("resolving {}", root.display()))?;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let run_as = if unsafe { libc::geteuid() } == 0 {
            Some(lookup_user(SUPERUSER).ok_or_else(|| {
                anyhow::anyhow!(
                    "running as root, but there is no `{SUPERUSER}` user to run PostgreSQL as \
                     (PostgreSQL refuses to run as root). Install Debian's `postgresql` package, \
                     which creates it, or run as an ordinary user."
                )
            })?)
        } else {
            None
        };
        let mut socket_dir = root.join("run");
        if socket_dir.as_os_str().len() + ".s.PGSQL.5432".len() + 1 > MAX_SOCKET_PATH {
            // Deep working folders exceed the socket path limit; use a short, per-root folder.
            let digest = hex::encode(&sha2_digest(root.as_os_str().as_encoded_bytes())[..8]);
            socket_dir = std::env::temp_dir().join(format!("shoutout-pg-{digest}"));
        }
        Ok(Self {
            data_dir: root.join("pgdata"),
            root,
            socket_dir,
            bin_dir,
            run_as,
        })
    }

    /// A connection string for `database` on this cluster.
    pub fn url(&self, database: &str) -> String {
        format!(
            "host='{}' port={PORT} user={SUPERUSER} dbname={database}",
            self.socket_dir.display()
        )
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Initialises the cluster if needed and starts it unless it already runs.
    /// Returns whether this call started it (and so should stop it).
    /// `settings` are `name = value` lines applied on every start (tests turn fsync off).
    pub fn ensure_running(&self, settings: &[&str]) -> anyhow::Result<bool> {
        let lock = File::create(self.root.join(".cluster.lock"))?;
        lock.lock().context("locking the embedded cluster")?;
        self.prepare_folders()?;
        if !self.data_dir.join("PG_VERSION").exists() {
            self.initdb()?;
        }
        self.write_settings(settings)?;
        let started = if self.is_running()? {
            false
        } else {
            tracing::info!(data_dir = %self.data_dir.display(), "starting embedded PostgreSQL");
            let log = self.root.join("postgres.log");
            self.pg("pg_ctl")
                .arg("-D")
                .arg(&self.data_dir)
                .arg("-l")
                .arg(&log)
                .args(["-w", "-t", "60", "start"])
                .status_checked()
                .with_context(|| format!("starting PostgreSQL (its log: {})", log.display()))?;
            true
        };
        drop(lock);
        Ok(started)
    }

    /// Makes this cluster a streaming replica of `primary` (`pg_basebackup -R`: a copy of its
    /// data, and the settings to follow its log), unless it already holds a cluster. Start it
    /// with [`ensure_running`](Self::ensure_running); it then serves reads only.
    pub fn replicate(&self, primary: &EmbeddedPostgres) -> anyhow::Result<()> {
        if self.data_dir.join("PG_VERSION").exists() {
            return Ok(());
        }
        let lock = File::create(self.root.join(".cluster.lock"))?;
        lock.lock().context("locking the embedded cluster")?;
        self.prepare_folders()?;
        self.pg("pg_basebackup")
            .arg("-D")
            .arg(&self.data_dir)
            .arg("-h")
            .arg(&primary.socket_dir)
            .args([
                "-p",
                &PORT.to_string(),
                "-U",
                SUPERUSER,
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
            ])
            .status_checked()
            .context("copying the primary with pg_basebackup")?;
        Ok(())
    }

    pub fn is_running(&self) -> anyhow::Result<bool> {
        if !self.data_dir.join("PG_VERSION").exists() {
            return Ok(false);
        }
        let status = self
            .pg("pg_ctl")
            .arg("-D")
            .arg(&self.data_dir)
            .arg("status")
            .stdout(std::process::Stdio::null())
            .status()
            .context("running pg_ctl status")?;
        Ok(status.success())
    }

    /// Stops the cluster (fast shutdown: open sessions are ended, committed data is safe).
    pub fn stop(&self) -> anyhow::Result<()> {
        self.stop_with("fast")
    }

    /// Stops the cluster as a crash would (`-m immediate`: no checkpoint, recovery from the WAL
    /// at the next start). For fault tests: what was committed must survive it.
    pub fn crash(&self) -> anyhow::Result<()> {
        self.stop_with("immediate")
    }

    fn stop_with(&self, mode: &str) -> anyhow::Result<()> {
        if !self.is_running()? {
            return Ok(());
        }
        tracing::info!(mode, "stopping embedded PostgreSQL");
        self.pg("pg_ctl")
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-m", mode, "-w", "-t", "60", "stop"])
            .stdout(std::process::Stdio::null())
            .status_checked()
    }

    /// Creates `database` unless it exists.
    pub async fn ensure_database(&self, database: &str) -> anyhow::Result<()> {
        let (client, connection) =
            tokio_postgres::connect(&self.url("postgres"), tokio_postgres::NoTls)
                .await
                .context("connecting to the embedded cluster")?;
        let driver = tokio::spawn(connection);
        let exists = client
            .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&database])
            .await?
            .is_some();
        if !exists {
            // Identifiers cannot be bound parameters; the name is ours, quoted all the same.
            let quoted = database.replace('"', "\"\"");
            client
                .batch_execute(&format!("CREATE DATABASE \"{quoted}\""))
                .await
                .with_context(|| format!("creating database {database}"))?;
        }
        drop(client);
        let _ = driver.await;
        Ok(())
    }

    fn prepare_folders(&self) -> anyhow::Result<()> {
        for dir in [&self.root, &self.socket_dir] {
            fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            if let Some(owner) = &self.run_as {
                std::os::unix::fs::chown(dir, Some(owner.uid), Some(owner.gid))
                    .with_context(|| format!("handing {} to {}", dir.display(), owner.name))?;
            }
        }
        // Trust authentication is safe only because nobody else can reach the socket.
        fs::set_permissions(&self.socket_dir, fs::Permissions::from_mode(0o700))?;
        if let Some(owner) = &self.run_as {
            // A folder inside a private home (mode 0700) cannot be reached by `postgres`.
            let reachable = Command::new("runuser")
                .args(["-u", &owner.name, "--", "test", "-w"])
                .arg(&self.root)
                .status()
                .is_ok_and(|s| s.success());
            if !reachable {
                bail!(
                    "the `{}` user cannot write to {}: every folder above it must be searchable \
                     by others (chmod o+x), or choose another SHOUTOUT_DATA_DIR",
                    owner.name,
                    self.root.display()
                );
            }
        }
        Ok(())
    }

    fn initdb(&self) -> anyhow::Result<()> {
        tracing::info!(data_dir = %self.data_dir.display(), "initialising embedded PostgreSQL");
        self.pg("initdb")
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-locale"])
            .stdout(std::process::Stdio::null())
            .status_checked()
            .context("initialising the embedded cluster with initdb")?;
        let conf = self.data_dir.join("postgresql.conf");
        let mut text = fs::read_to_string(&conf)?;
        text.push_str("\ninclude_if_exists = 'shoutout.conf'\n");
        fs::write(&conf, text)?;
        Ok(())
    }

    fn write_settings(&self, extra: &[&str]) -> anyhow::Result<()> {
        let mut text = format!(
            "# Written by shoutout on every start; edits are lost.\n\
             listen_addresses = ''\n\
             port = {PORT}\n\
             unix_socket_directories = '{}'\n\
             max_connections = 300\n",
            self.socket_dir.display()
        );
        for line in extra {
            text.push_str(line);
            text.push('\n');
        }
        let path = self.data_dir.join("shoutout.conf");
        fs::write(&path, text)?;
        if let Some(owner) = &self.run_as {
            std::os::unix::fs::chown(&path, Some(owner.uid), Some(owner.gid))?;
        }
        Ok(())
    }

    /// A command for one of PostgreSQL's programs, run as the right user.
    fn pg(&self, program: &str) -> Command {
        let path = self.bin_dir.join(program);
        match &self.run_as {
            Some(owner) => {
                let mut command = Command::new("runuser");
                command.args(["-u", &owner.name, "--"]).arg(path);
                command
            }
            None => Command::new(path),
        }
    }
}

trait StatusChecked {
    fn status_checked(&mut self) -> anyhow::Result<()>;
}

impl StatusChecked for Command {
    fn status_checked(&mut self) -> anyhow::Result<()> {
        let status = self
            .status()
            .with_context(|| format!("running {:?}", self.get_program()))?;
        if !status.success() {
            bail!(
                "{:?} {:?} failed: {status}",
                self.get_program(),
                self.get_args().collect::<Vec<_>>()
            );
        }
        Ok(())
    }
}

/// The folder holding `initdb` and `pg_ctl`: on PATH first, else Debian's versioned folders,
/// newest version first.
fn find_bin_dir() -> Option<PathBuf> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if has_both(&dir) {
                // Follow symlinks so that `postgres` is found beside its real siblings.
                let real = dir.join("initdb").canonicalize().ok()?;
                return real.parent().map(Path::to_path_buf);
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            has_both(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn lookup_user(name: &str) -> Option<Owner> {
    let c_name = std::ffi::CString::new(name).ok()?;
    // SAFETY: getpwnam reads the passwd database; the returned pointer is checked for null and
    // its fields are copied out before any other call could overwrite the static buffer.
    unsafe {
        let entry = libc::getpwnam(c_name.as_ptr());
        if entry.is_null() {
            return None;
        }
        Some(Owner {
            name: name.to_owned(),
            uid: (*entry).pw_uid,
            gid: (*entry).pw_gid,
        })
    }
}

fn sha2_digest(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).to_vec()
}
