//! The command line: every command, flag and example `kw --help` shows.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};

const MAIN_EXAMPLES: &str = "\
Examples:
  echo \"$KEYWARD_TOKEN\" | kw login --token - --url https://keyward.example.com
  kw status
  kw projects list
  kw config get 3 > config.json
  printf %s \"$DB_PASSWORD\" | kw secrets set 3 DB_PASSWORD

Credentials: `kw login` saves the server and token in ~/.keywardrc (mode 0600;
KEYWARD_AUTH_FILE names another file); the saved token is sent to that server only.
KW_TOKEN (with --url or KW_URL) overrides it for one command.

Exit codes: 0 ok, 2 usage or input error, 3 authentication failed (no credentials, a
mistyped token, or 401: expired, revoked, invalid), 4 permission denied or not found (403,
404), 5 server or network error.";

#[derive(Parser)]
#[command(
    name = "kw",
    version,
    about = "kw: the keyward command-line client. Log in with an API or service token, then call the keyward API.",
    after_help = MAIN_EXAMPLES,
    arg_required_else_help = true,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args)]
pub struct Global {
    /// The keyward server (https://, or http:// for localhost). Default: the one `kw login`
    /// saved; a saved token is only ever sent to its own server.
    #[arg(long, env = "KW_URL", global = true, value_name = "URL")]
    pub url: Option<String>,
    /// Seconds to wait for the server before giving up.
    #[arg(long, env = "KW_TIMEOUT", global = true, value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Print JSON (the API's own wire format) instead of tables, for scripts.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum Command {
    /// Check a token with the server and save it with the server's URL.
    #[command(after_help = "\
Examples:
  echo \"$KEYWARD_TOKEN\" | kw login --token - --url https://keyward.example.com
  KW_TOKEN=kwat_... kw login --url http://127.0.0.1:3000
  kw login --url https://keyward.example.com      # asks for the token, without echo

The token's format and checksum are checked first, so a mistyped token is refused before
anything is sent. Then the server is asked who the token is (whoami), and only a token it
accepts is saved, in ~/.keywardrc (or KEYWARD_AUTH_FILE), readable by you alone. Prefer
--token - over a value on the command line, which other users can see in `ps`.")]
    Login {
        /// The API token (kwat_...) or service token (kwst_...); `-` reads it from standard
        /// input. Default: the KW_TOKEN variable, else asked for (hidden) at a terminal.
        #[arg(long, value_name = "TOKEN")]
        token: Option<String>,
    },
    /// Show the server, who the token acts as, its kind, prefix, permissions and expiry.
    #[command(after_help = "\
Examples:
  kw status
  kw status --json | jq -r .credential.expires_at

Warns when the token expires within 7 days.")]
    Status,
    /// Forget the saved token; --revoke also revokes it on the server first.
    #[command(after_help = "\
Examples:
  kw logout
  kw logout --revoke     # end of a CI job: the token stops working everywhere

With KW_TOKEN set, --revoke revokes that token, and the file is removed only if it holds
the same one.")]
    Logout {
        /// Revoke the token on the server (DELETE /api/v1/tokens/current) before forgetting it.
        #[arg(long)]
        revoke: bool,
    },
    /// Rotate the token in use: a new value, with the old one working for a grace.
    #[command(subcommand)]
    Token(TokenCommand),
    /// List, show and delete projects.
    #[command(subcommand)]
    Projects(ProjectsCommand),
    /// Read or replace a project's JSON config document.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// List, set and delete a project's secrets.
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// Operation logs and their entries.
    #[command(subcommand)]
    Oplog(OplogCommand),
    /// Print a shell completion script.
    #[command(after_help = "\
Examples:
  kw completions bash > ~/.local/share/bash-completion/completions/kw
  kw completions zsh > \"${fpath[1]}/_kw\"
  kw completions fish > ~/.config/fish/completions/kw.fish")]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// A project, by id or by its exact name.
#[derive(Args)]
pub struct ProjectArg {
    /// The project's id, or its exact name (`kw projects list` shows both).
    #[arg(value_name = "PROJECT")]
    pub project: String,
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Give the token a new value (POST /api/v1/tokens/current/rotate); its name, expiry and
    /// permissions stay.
    #[command(after_help = "\
Examples:
  kw token rotate                 # the old value stops at once
  kw token rotate --grace 1h      # jobs holding the old value have an hour to move over
  NEW=$(KW_TOKEN=$OLD kw token rotate --grace 24h --url https://keyward.example.com)

With a saved login, the new value replaces the old one in the credentials file (written
atomically, 0600) and is not printed. With KW_TOKEN, there is no file to update: the new
value alone is printed on stdout, for your secret store. The grace is at most the server's
Maximum rotation grace (24 hours unless an admin changed it).")]
    Rotate {
        /// How long the old value keeps working: minutes, or a number with m, h or d
        /// (e.g. 90, 30m, 1h, 1d). Default: 0, not at all.
        #[arg(long, value_name = "DURATION", default_value = "0", value_parser = grace_minutes)]
        grace: u32,
    },
}

/// `90`, `30m`, `1h`, `1d` as minutes.
fn grace_minutes(s: &str) -> Result<u32, String> {
    let (number, unit) = match s.strip_suffix(['m', 'h', 'd']) {
        Some(number) => (number, &s[number.len()..]),
        None => (s, "m"),
    };
    let per = match unit {
        "h" => 60,
        "d" => 24 * 60,
        _ => 1,
    };
    number
        .parse::<u32>()
        .ok()
        .and_then(|n| n.checked_mul(per))
        .ok_or_else(|| "expected minutes, or a number with m, h or d, e.g. 30m, 1h, 1d".into())
}

#[derive(Subcommand)]
pub enum ProjectsCommand {
    /// The projects this token can read, with what it may do on each.
    #[command(after_help = "\
Examples:
  kw projects list
  kw projects list --json | jq '.[] | select(.permissions.can_change_secrets) | .id'")]
    List,
    /// One project.
    #[command(after_help = "\
Examples:
  kw projects show 3
  kw projects show web-shop --json")]
    Show(ProjectArg),
    /// Delete a project with its config, secrets and operation logs (needs
    /// can_delete_project). Asks for the project's name at a terminal; scripts pass --yes.
    #[command(after_help = "\
Examples:
  kw projects delete 3            # asks you to type the project's name
  kw projects delete 3 --yes      # in a script")]
    Delete {
        #[command(flatten)]
        project: ProjectArg,
        /// Delete without asking.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Print the config document (JSON).
    #[command(after_help = "\
Examples:
  kw config get 3
  kw config get web-shop > config.json")]
    Get(ProjectArg),
    /// Replace the config document with a JSON object from a file or standard input (needs
    /// can_change_configs).
    #[command(after_help = "\
Examples:
  kw config set 3 --file config.json
  echo '{\"replicas\": 3}' | kw config set web-shop

Invalid JSON is refused before anything is sent, with its line and column.")]
    Set {
        #[command(flatten)]
        project: ProjectArg,
        /// The JSON file; `-` or no --file reads standard input.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum SecretsCommand {
    /// The project's secrets: names and when they changed (--json includes the values).
    #[command(after_help = "\
Examples:
  kw secrets list 3
  kw secrets list 3 --json | jq -r '.[] | select(.name == \"DB_PASSWORD\") | .value'")]
    List(ProjectArg),
    /// Create or replace a secret. The value is read from standard input, never from the
    /// command line (where `ps` and shell history would show it); one trailing newline is
    /// dropped (needs can_change_secrets).
    #[command(after_help = "\
Examples:
  printf %s \"$DB_PASSWORD\" | kw secrets set 3 DB_PASSWORD
  kw secrets set 3 API_KEY < api-key.txt
  kw secrets set 3 API_KEY          # at a terminal: asks, without echo")]
    Set {
        #[command(flatten)]
        project: ProjectArg,
        /// The secret's name: 1-100 of A-Z a-z 0-9 . _ -
        name: String,
        /// Accept an empty value (otherwise refused: an unset variable in a pipeline would
        /// blank the secret).
        #[arg(long)]
        allow_empty: bool,
    },
    /// Delete a secret (needs can_change_secrets).
    #[command(after_help = "\
Examples:
  kw secrets delete 3 OLD_API_KEY")]
    Delete {
        #[command(flatten)]
        project: ProjectArg,
        name: String,
    },
}

#[derive(Subcommand)]
pub enum OplogCommand {
    /// The operation logs this token can read.
    #[command(after_help = "\
Examples:
  kw oplog list
  kw oplog list --json")]
    List,
    /// A log's entries, oldest first.
    #[command(after_help = "\
Examples:
  kw oplog entries 5
  kw oplog entries 5 --json | jq '.[-1]'")]
    Entries {
        /// The operation log's id (`kw oplog list`).
        oplog: i64,
    },
    /// Add an entry; prints its id.
    #[command(after_help = "\
Examples:
  kw oplog add 5 --command 'nmap -sV 10.0.0.0/24' --description 'Service scan' --tool nmap
  kw oplog add 5 --command deploy --start 2026-12-03T10:00:00Z --end 2026-12-03T10:05:00Z")]
    Add {
        oplog: i64,
        #[command(flatten)]
        fields: EntryFields,
    },
    /// Change the given fields of an entry; the others stay as they are.
    #[command(after_help = "\
Examples:
  kw oplog edit 5 12 --output 'done, 3 hosts up'
  kw oplog edit 5 12 --tags recon,external")]
    Edit {
        oplog: i64,
        /// The entry's id (`kw oplog entries`).
        entry: i64,
        #[command(flatten)]
        fields: EntryFields,
    },
    /// Delete an entry.
    #[command(after_help = "\
Examples:
  kw oplog delete 5 12")]
    Delete { oplog: i64, entry: i64 },
}

/// An entry's fields; each one given is sent, the others are left out.
#[derive(Args, Default)]
pub struct EntryFields {
    /// When the operation started (RFC 3339, e.g. 2026-12-03T10:00:00Z).
    #[arg(long, value_name = "TIME")]
    pub start: Option<DateTime<Utc>>,
    /// When it ended (RFC 3339).
    #[arg(long, value_name = "TIME")]
    pub end: Option<DateTime<Utc>>,
    #[arg(long, value_name = "HOST")]
    pub source_host: Option<String>,
    #[arg(long, value_name = "HOST")]
    pub dest_host: Option<String>,
    #[arg(long)]
    pub tool: Option<String>,
    #[arg(long)]
    pub user_context: Option<String>,
    #[arg(long)]
    pub command: Option<String>,
    #[arg(long)]
    pub description: Option<String>,
    #[arg(long)]
    pub output: Option<String>,
    #[arg(long)]
    pub operator: Option<String>,
    /// Comma-separated tags.
    #[arg(long)]
    pub tags: Option<String>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// Every command's --help explains itself with an example.
    #[test]
    fn every_command_has_an_example() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let path = format!("{path} {}", cmd.get_name());
            let has_children = cmd.get_subcommands().any(|c| c.get_name() != "help");
            if !has_children {
                let help = cmd
                    .get_after_help()
                    .map(|h| h.to_string())
                    .unwrap_or_default();
                if !help.contains("Examples:\n") || !help.contains(" kw ") {
                    missing.push(path.clone());
                }
            }
            for sub in cmd.get_subcommands().filter(|c| c.get_name() != "help") {
                walk(sub, &path, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "", &mut missing);
        assert!(missing.is_empty(), "without an example: {missing:?}");
        Cli::command().debug_assert();
    }
}
