//! The credentials file (`~/.keywardrc`, or `KEYWARD_AUTH_FILE`): the server's URL and the
//! token `kw login` checked. It is JSON, readable by its owner only (0600): a file others
//! could read is refused, as ssh refuses a private key with open permissions, because its
//! token may already have leaked.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use keyward_core::Secret;
use serde::{Deserialize, Serialize};

use crate::client::normalize_server;
use crate::failure::{Failure, hold};

pub const FILE_NAME: &str = ".keywardrc";
pub const PATH_VARIABLE: &str = "KEYWARD_AUTH_FILE";

/// What the file holds.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Saved {
    pub url: String,
    pub token: Secret,
}

impl Saved {
    /// Whether this login is for `url` (normalised, as [`normalize_server`] gives it).
    pub fn is_for(&self, url: &str) -> bool {
        normalize_server(&self.url).is_ok_and(|saved| saved == url)
    }
}

/// `KEYWARD_AUTH_FILE`, else `$HOME/.keywardrc`.
pub fn path() -> Result<PathBuf, Failure> {
    if let Some(p) = std::env::var_os(PATH_VARIABLE).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(home) => Ok(Path::new(&home).join(FILE_NAME)),
        None => Err(Failure::usage(format!(
            "cannot find the credentials file: set HOME or {PATH_VARIABLE}"
        ))),
    }
}

/// The saved credentials, `None` when there is no file. What is checked is what was opened
/// (no link followed), so the file cannot be swapped between the check and the read.
pub fn load(path: &Path) -> Result<Option<Saved>, Failure> {
    let cannot = |e: std::io::Error| Failure::usage(format!("cannot read {}: {e}", path.display()));
    let mut options = OpenOptions::new();
    options.read(true);
    // Not through a link; and not stuck opening a FIFO planted in its place.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        libc::O_NOFOLLOW | libc::O_NONBLOCK,
    );
    let mut file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Err(symlink(path)),
        Err(e) => return Err(cannot(e)),
    };
    check(path, &file.metadata().map_err(cannot)?)?;
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(cannot)?;
    // Only the position of a parse error: serde's message could quote the token.
    let saved: Saved = serde_json::from_str(&text).map_err(|e| {
        Failure::usage(format!(
            "{} is not a kw credentials file (line {}, column {}): remove it and run `kw login`",
            path.display(),
            e.line(),
            e.column()
        ))
    })?;
    hold(saved.token.expose());
    Ok(Some(saved))
}

/// Writes the file whole or not at all: a private temporary file in the same directory,
/// synced, then renamed over the old one, so a crash never leaves half a file and the token
/// is never readable by others, not even for a moment.
pub fn save(path: &Path, saved: &Saved) -> Result<(), Failure> {
    Pending::open(path)?.commit(saved)
}

/// A save that has started: the file checked and a private temporary file made beside it,
/// so what could go wrong with the directory has gone wrong before anything else happens
/// (`kw token rotate` prepares before asking the server for a value it must not lose).
pub struct Pending {
    path: PathBuf,
    tmp: PathBuf,
    file: fs::File,
}

impl Pending {
    pub fn open(path: &Path) -> Result<Pending, Failure> {
        check_private(path)?;
        // A name no other process picks (its own id and the clock); create_new refuses to
        // reuse anything there, and only a file this process created is ever removed.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let tmp = dir_of(path).join(format!(
            ".{}.{}-{nanos}.tmp",
            path.file_name()
                .map_or(FILE_NAME.into(), |n| n.to_string_lossy()),
            std::process::id()
        ));
        let file = private_file(&tmp).map_err(|e| cannot_write(path, &e))?;
        Ok(Pending {
            path: path.to_path_buf(),
            tmp,
            file,
        })
    }

    /// Writes `saved` and puts it in place of the file, atomically.
    pub fn commit(mut self, saved: &Saved) -> Result<(), Failure> {
        if let Err(e) =
            write_json(&mut self.file, saved).and_then(|()| fs::rename(&self.tmp, &self.path))
        {
            let _ = fs::remove_file(&self.tmp);
            return Err(cannot_write(&self.path, &e));
        }
        // The rename is durable once the directory is. Best effort: the file is in place
        // either way, and some file systems cannot sync a directory.
        #[cfg(unix)]
        let _ = fs::File::open(dir_of(&self.path)).and_then(|d| d.sync_all());
        Ok(())
    }

    /// Gives up: the temporary file is removed.
    pub fn abandon(self) {
        let _ = fs::remove_file(&self.tmp);
    }
}

fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

fn cannot_write(path: &Path, e: &std::io::Error) -> Failure {
    Failure::usage(format!("cannot write {}: {e}", path.display()))
}

fn private_file(tmp: &Path) -> std::io::Result<fs::File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(tmp)
}

fn write_json(file: &mut fs::File, saved: &Saved) -> std::io::Result<()> {
    let json = serde_json::to_string_pretty(saved).map_err(std::io::Error::other)?;
    file.write_all(json.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

/// Removes the file; `false` when there was none. Not a symbolic link: removing the link
/// would leave its target, with the token, and say it was removed.
pub fn remove(path: &Path) -> Result<bool, Failure> {
    if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(symlink(path));
    }
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Failure::usage(format!(
            "cannot remove {}: {e}",
            path.display()
        ))),
    }
}

/// Refuses an existing file that anyone but its owner may read or write, that someone else
/// owns (another user could have planted it, with their own server's URL), or that is a
/// symbolic link (a save would replace the link and leave its target, with the old token,
/// behind) or anything but a regular file.
pub fn check_private(path: &Path) -> Result<(), Failure> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(symlink(path)),
        Ok(meta) => check(path, &meta),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Failure::usage(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

fn symlink(path: &Path) -> Failure {
    Failure::usage(format!(
        "{} is a symbolic link: kw keeps its token in a regular file only (remove the link and what it points to, or point KEYWARD_AUTH_FILE at the file)",
        path.display()
    ))
}

#[cfg(unix)]
fn check(path: &Path, meta: &fs::Metadata) -> Result<(), Failure> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let shown = path.display();
    if !meta.is_file() {
        return Err(Failure::usage(format!(
            "{shown} is not a regular file: kw keeps its token in a regular file only"
        )));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(Failure::usage(format!(
            "{shown} belongs to another user (uid {}): kw uses a credentials file of your own only",
            meta.uid()
        )));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Failure::usage(format!(
            "permissions {mode:04o} for {shown} are too open: it holds a token, which others may have read. \
             Revoke that token if that matters, then run `chmod 600 {shown}` (or remove the file) and try again"
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check(_path: &Path, _meta: &fs::Metadata) -> Result<(), Failure> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn saved(token: &str) -> Saved {
        Saved {
            url: "http://127.0.0.1:3000".into(),
            token: Secret::new(token.into()),
        }
    }

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn saved_files_are_private_and_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rc");
        assert!(load(&path).unwrap().is_none());
        save(&path, &saved("kwat_first")).unwrap();
        assert_eq!(mode(&path), 0o600);
        save(&path, &saved("kwat_second")).unwrap();
        assert_eq!(mode(&path), 0o600);
        let back = load(&path).unwrap().unwrap();
        assert_eq!(back.token.expose(), "kwat_second");
        assert_eq!(back.url, "http://127.0.0.1:3000");
        // Nothing but the file is left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(remove(&path).unwrap());
        assert!(!remove(&path).unwrap());
    }

    #[test]
    fn open_permissions_are_refused_for_reading_and_writing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rc");
        save(&path, &saved("kwat_old")).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let e = load(&path).err().unwrap();
        assert_eq!(e.code, crate::failure::exit::USAGE);
        assert!(e.message.contains("permissions 0644"), "{}", e.message);
        assert!(e.message.contains("chmod 600"), "{}", e.message);
        assert!(save(&path, &saved("kwat_new")).is_err());
        // The refused write changed nothing.
        assert!(fs::read_to_string(&path).unwrap().contains("kwat_old"));
        assert_eq!(mode(&path), 0o644);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        assert!(load(&path).is_err());
        fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).unwrap();
        assert!(load(&path).unwrap().is_some());
    }

    #[test]
    fn a_damaged_file_is_named_without_quoting_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rc");
        let mut options = OpenOptions::new();
        std::os::unix::fs::OpenOptionsExt::mode(options.write(true).create_new(true), 0o600);
        let mut file = options.open(&path).unwrap();
        // serde would name an unknown field in its message: here, the token itself.
        file.write_all(br#"{"kwat_secretvalue": 1}"#).unwrap();
        let e = load(&path).err().unwrap();
        assert!(
            e.message.contains("not a kw credentials file"),
            "{}",
            e.message
        );
        assert!(!e.message.contains("kwat_secretvalue"), "{}", e.message);
    }

    #[test]
    fn a_symbolic_link_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real");
        save(&target, &saved("kwat_old")).unwrap();
        let link = dir.path().join("rc");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(load(&link).err().unwrap().message.contains("symbolic link"));
        assert!(save(&link, &saved("kwat_new")).is_err());
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(fs::read_to_string(&target).unwrap().contains("kwat_old"));
        assert!(
            remove(&link)
                .err()
                .unwrap()
                .message
                .contains("symbolic link")
        );
        assert!(fs::symlink_metadata(&link).is_ok());
    }

    #[test]
    fn anything_but_a_regular_file_is_refused_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("rc");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        // A plain open would block here until a writer came.
        let e = load(&fifo).err().unwrap();
        assert!(e.message.contains("not a regular file"), "{}", e.message);
        assert!(save(&fifo, &saved("kwat_new")).is_err());
    }

    #[test]
    fn a_file_of_another_user_is_refused() {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            // CI runs as root, so there the check is always made.
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must run this test as root"
            );
            eprintln!("skipped: only root can give a file to another user");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rc");
        save(&path, &saved("kwat_theirs")).unwrap();
        std::os::unix::fs::chown(&path, Some(65534), None).unwrap();
        let e = load(&path).err().unwrap();
        assert!(
            e.message.contains("belongs to another user (uid 65534)"),
            "{}",
            e.message
        );
        assert!(save(&path, &saved("kwat_mine")).is_err());
        assert!(fs::read_to_string(&path).unwrap().contains("kwat_theirs"));
    }
}
