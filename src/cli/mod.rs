//! The command line (clap). Each command parses its arguments, calls the authority,
//! and prints JSON; errors print one line on stderr and exit non-zero.

mod healthcheck;
mod log;
mod output;
mod populate;
mod table;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use time::OffsetDateTime;

use crate::authority::{
    cert_kinds, Authority, CardRequest, ClockMode, CrlScope, IssueRequest, Options, PhoneRequest,
    RawPhoneRequest, RawRevokeRequest, RawSignRequest, RevokeRequest, SignRequest,
};
use crate::clock::{self, Clock};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::export::export;
use crate::http;
use crate::rules::locality::Locality;
use crate::rules::{Cause, CertKind, CrlReason, Gender, KeyAlg, Platform, Serial};
use crate::store::memory::MemoryStore;
use crate::store::sqlite::SqliteStore;
use crate::store::tenants::{TenantHome, TenantName};
use crate::store::{CardId, Store, StoreLocation};
use healthcheck::healthcheck;
use http::tenants::{self, TenantList, TenantRequest, TenantView};
use output::{
    prepare_out_dir, refuse_out_inside_state, write_der, write_file, write_issued_files,
    write_output,
};

/// `--version`: the version and the commit it was built from.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("JPKI_MOCK_COMMIT"),
    ")"
);

/// The admin token the container image sets by default: known to everyone, so `serve`
/// warns loudly when it is in use.
const PUBLISHED_TEST_TOKEN: &str = "jpki-mock-insecure-test-token";

/// The help heading of the options every command takes, listed after its own.
const GLOBAL: &str = "Global options";

/// jpki-mock: a mock JPKI certificate authority (TEST CA, NOT FOR PRODUCTION).
#[derive(Debug, Parser)]
#[command(name = "jpki-mock", version = VERSION, about, long_about = None)]
pub struct Cli {
    /// State directory (SQLite database and key files) [env: JPKI_MOCK_STATE]
    /// [default: ./jpki-state].
    #[arg(long, global = true, value_name = "DIR", help_heading = GLOBAL)]
    state: Option<PathBuf>,
    /// Where the state lives: sqlite:DIR (the same as --state DIR), or
    /// postgres://USER:PASSWORD@HOST:PORT/DB[?schema=NAME] for replicas sharing one
    /// state (its tables and keys in schema NAME, default public, created if missing)
    /// [env: JPKI_MOCK_STORE, which wins over JPKI_MOCK_STATE].
    #[arg(long, global = true, value_name = "URL", help_heading = GLOBAL)]
    store: Option<String>,
    /// Where the state lives, from --store, --state and their variables.
    #[arg(skip)]
    location: StoreLocation,
    /// Configuration file (default: the built-in config/jpki-mock.toml) [env:
    /// JPKI_MOCK_CONFIG].
    #[arg(long, global = true, value_name = "FILE", help_heading = GLOBAL)]
    pub config: Option<PathBuf>,
    /// The current time for this command: RFC 3339 or a date (00:00 JST) [env:
    /// JPKI_MOCK_NOW].
    #[arg(long, global = true, value_name = "TIME", value_parser = instant_arg, help_heading = GLOBAL)]
    pub now: Option<OffsetDateTime>,
    /// TEST ONLY: derive every new key from this seed, for byte-identical fixtures [env:
    /// JPKI_MOCK_SEED].
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub seed: Option<String>,
    /// Act on this tenant of the state (an isolated mock served under /t/NAME; see
    /// `tenant create`) instead of the default one [env: JPKI_MOCK_TENANT].
    #[arg(long, global = true, value_name = "NAME", help_heading = GLOBAL)]
    pub tenant: Option<String>,
    /// JSON output: errors, the init report, and `list`/`show` on a terminal.
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub json: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses the command line, then fills the global options it does not give from
    /// their `JPKI_MOCK_*` variables. These are read here rather than by clap, whose
    /// usage line in an error would list a variable's option as if it had been typed.
    fn from_command_line() -> Self {
        let mut cli = Self::parse();
        let from_env = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
        let text = |value: std::ffi::OsString| value.to_string_lossy().into_owned();
        cli.location = locate(
            (cli.state.clone(), cli.store.clone()),
            (
                from_env("JPKI_MOCK_STATE").map(PathBuf::from),
                from_env("JPKI_MOCK_STORE").map(text),
            ),
        )
        .unwrap_or_else(|(kind, message)| Self::command().error(kind, message).exit());
        cli.config = cli
            .config
            .or_else(|| from_env("JPKI_MOCK_CONFIG").map(PathBuf::from));
        cli.seed = cli
            .seed
            .or_else(|| from_env("JPKI_MOCK_SEED").map(|seed| seed.to_string_lossy().into_owned()));
        cli.tenant = cli.tenant.or_else(|| {
            from_env("JPKI_MOCK_TENANT").map(|name| name.to_string_lossy().into_owned())
        });
        if cli.tenant.is_some()
            && matches!(
                cli.command,
                Command::Init { .. } | Command::Serve { .. } | Command::Tenant { .. }
            )
        {
            Self::command()
                .error(
                    clap::error::ErrorKind::ArgumentConflict,
                    "--tenant (or JPKI_MOCK_TENANT) names one tenant; init, serve and tenant \
                     act on the whole state",
                )
                .exit()
        }
        if cli.now.is_none() {
            if let Some(text) = from_env("JPKI_MOCK_NOW") {
                let text = text.to_string_lossy();
                cli.now = Some(instant_arg(&text).unwrap_or_else(|e| {
                    Self::command()
                        .error(
                            clap::error::ErrorKind::ValueValidation,
                            format!("invalid JPKI_MOCK_NOW '{text}': {e}"),
                        )
                        .exit()
                }));
            }
        }
        cli
    }

    /// Where the state lives.
    pub fn store(&self) -> &StoreLocation {
        &self.location
    }
}

/// Where the state lives, from `--state` and `--store` (`given`), else from
/// `JPKI_MOCK_STATE` and `JPKI_MOCK_STORE` (`from_env`, the store winning: a container
/// image's state directory does not stand in the way of a database), else
/// `./jpki-state`. Both options at once must name one directory.
fn locate(
    given: (Option<PathBuf>, Option<String>),
    from_env: (Option<PathBuf>, Option<String>),
) -> std::result::Result<StoreLocation, (clap::error::ErrorKind, String)> {
    use clap::error::ErrorKind;
    let parse = |name: &str, url: &str| {
        StoreLocation::parse(url).map_err(|e| (ErrorKind::ValueValidation, format!("{name}: {e}")))
    };
    match (given, from_env) {
        ((Some(dir), Some(url)), _) => match parse("--store", &url)? {
            StoreLocation::Sqlite(same) if same == dir => Ok(StoreLocation::Sqlite(dir)),
            other => Err((
                ErrorKind::ArgumentConflict,
                format!(
                    "--state {} and --store {other} name two different states: give one                      (--store sqlite:DIR is --state DIR)",
                    dir.display()
                ),
            )),
        },
        ((Some(dir), None), _) => Ok(StoreLocation::Sqlite(dir)),
        ((None, Some(url)), _) => parse("--store", &url),
        (_, (_, Some(url))) => parse("JPKI_MOCK_STORE", &url),
        (_, (Some(dir), None)) => Ok(StoreLocation::Sqlite(dir)),
        (_, (None, None)) => Ok(StoreLocation::default()),
    }
}

/// A value from a fixed set: anything else is a usage error (exit 2) listing the set,
/// with clap's "a similar value exists" tip for a typo. The string goes on to the same
/// typed conversion the admin API uses.
fn one_of<const N: usize>(names: [&'static str; N]) -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(names)
}

fn instant_arg(text: &str) -> std::result::Result<OffsetDateTime, String> {
    clock::parse_instant(text).map_err(|e| e.to_string())
}

/// A kind of certificate, and the CA that issues it.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Kind {
    /// The signing certificate (署名用電子証明書) or its CA.
    Sign,
    /// The user-authentication certificate (利用者証明用電子証明書) or its CA.
    Auth,
}

impl From<Kind> for CertKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Sign => CertKind::Sign,
            Kind::Auth => CertKind::Auth,
        }
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the sign and auth CAs and their OCSP responders (idempotent).
    Init {
        /// Base URL issued certificates will carry in their CRL and OCSP URLs.
        #[arg(long, env = "JPKI_MOCK_BASE_URL")]
        base_url: Option<String>,
        /// A preset of profile settings, fixed for the state: jpki-test (O=JPKI-TEST and
        /// the test policies) or next-gen (provisional: P-384 keys with SHA-384,
        /// certificates of 10 years, renewal from 12 months before expiry).
        #[arg(long)]
        preset: Option<String>,
    },
    /// Run the HTTP server (initialises the state first if it is empty).
    Serve {
        /// Listen address (default: the config's server.listen, built in 127.0.0.1:8080).
        #[arg(long, env = "JPKI_MOCK_LISTEN")]
        listen: Option<std::net::SocketAddr>,
        /// Base URL to record (default: the recorded one, else derived from --listen).
        #[arg(long, env = "JPKI_MOCK_BASE_URL")]
        base_url: Option<String>,
        /// Token the admin API requires (`Authorization: Bearer …`); mandatory when
        /// listening on a non-loopback address.
        #[arg(long, env = "JPKI_MOCK_ADMIN_TOKEN", hide_env_values = true)]
        admin_token: Option<String>,
        /// A state in memory with fresh keys, gone when the server stops: nothing is
        /// read from or written to --state.
        #[arg(long)]
        ephemeral: bool,
    },
    /// Exit 0 when a server answers `BASE/healthz` with `ok`, else 1 (for container
    /// health checks without curl).
    Healthcheck {
        /// The server's base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
    },
    /// Print a shell completion script: `jpki-mock completions bash > …`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `jpki-mock manpage | man -l -`.
    Manpage,
    /// Print the admin API's OpenAPI document (docs/openapi.json is its output).
    #[command(hide = true)]
    Openapi,
    /// Issue a card and its certificates; prints the card as JSON.
    Issue(IssueArgs),
    /// Issue many cards to invented holders and revoke some (load-test states); the
    /// certificates share keys from a pool. Ctrl-C stops between batches (exit 130).
    Populate(populate::PopulateArgs),
    /// Apply a revocation cause to a card.
    Revoke {
        /// The card.
        #[arg(long)]
        card: i64,
        /// The cause.
        #[arg(long, value_parser = one_of(Cause::USER_CAUSES.map(Cause::as_str)))]
        cause: String,
        /// For stop, ex_officio and leak: which certificates (default both).
        #[arg(long, value_delimiter = ',')]
        certs: Option<Vec<String>>,
        /// Revocation time, RFC 3339 or a date (default: now).
        #[arg(long)]
        at: Option<String>,
        /// For the phone causes: the phone's platform.
        #[arg(long, value_parser = one_of(Platform::ALL.map(Platform::as_str)))]
        platform: Option<String>,
    },
    /// A new signing certificate on a card whose signing certificate was revoked or
    /// expired: after a name or address change (give the new facts), or for use abroad
    /// after emigration (an address abroad is free text: give --locality too).
    IssueSign {
        /// The card.
        #[arg(long)]
        card: i64,
        /// The new name, "surname given".
        #[arg(long)]
        name: Option<String>,
        /// The new address.
        #[arg(long)]
        address: Option<String>,
        /// The new address's locality, PREF/MUNI (needed for an address the built-in
        /// table cannot resolve, such as one abroad).
        #[arg(long)]
        locality: Option<String>,
        /// A new signing PIN.
        #[arg(long)]
        sign_pin: Option<String>,
    },
    /// Phone certificates (スマホ用電子証明書): issue, suspend, resume.
    Phone {
        /// What to do.
        #[command(subcommand)]
        action: PhoneAction,
    },
    /// Renew certificates inside their renewal window.
    Renew {
        /// The card.
        #[arg(long)]
        card: i64,
        /// Which certificates (default: every unrevoked one).
        #[arg(long, value_delimiter = ',')]
        certs: Option<Vec<String>>,
    },
    /// Card reissue: invalidate the card's certificates and issue a new card (200 yen).
    Reissue {
        /// The card.
        #[arg(long)]
        card: i64,
    },
    /// Show a card or a certificate (a table on a terminal, else JSON).
    Show {
        /// What to show.
        #[command(subcommand)]
        what: Show,
    },
    /// List every card and its certificates (a table on a terminal, else JSON).
    List,
    /// List the expiry notices due on a date (expiry − 3 months, or
    /// validity.renewal_window_months).
    Notices {
        /// The date, YYYY-MM-DD.
        #[arg(long)]
        on: String,
    },
    /// Write a self-contained fixture bundle (CAs, CRLs, cards' certificates and keys,
    /// pre-signed OCSP responses, manifest.json) for suites that cannot run a server.
    Export {
        /// Output directory (created; must be empty if it exists).
        #[arg(long)]
        out: PathBuf,
    },
    /// Write a CA's current CRL (DER, or PEM with --pem).
    Crl {
        /// Which CA.
        kind: Kind,
        /// Which generation of it (default: the current one).
        #[arg(long)]
        generation: Option<u32>,
        /// One distribution point's partition (municipality layout): PREF/MUNI in
        /// romaji, a municipality code, or its Japanese name.
        #[arg(long)]
        partition: Option<String>,
        /// Output file (default: stdout).
        #[arg(long)]
        out: Option<PathBuf>,
        /// PEM instead of DER (PEM anyway when stdout is a terminal).
        #[arg(long)]
        pem: bool,
    },
    /// Write a CA's ARL, the list of its revoked CA certificates that the CA
    /// certificate's CRL distribution point names (DER, or PEM with --pem).
    Arl {
        /// Which CA.
        kind: Kind,
        /// Which generation's ARL (default: the current one).
        #[arg(long)]
        generation: Option<u32>,
        /// Output file (default: stdout).
        #[arg(long)]
        out: Option<PathBuf>,
        /// PEM instead of DER (PEM anyway when stdout is a terminal).
        #[arg(long)]
        pem: bool,
    },
    /// The state's virtual clock, the one `PUT /api/v1/clock` sets: every process that
    /// opens the state follows it.
    Clock {
        /// What to do.
        #[command(subcommand)]
        action: ClockAction,
    },
    /// CA generations: write a CA certificate (`ca sign`, `ca auth`), list the
    /// generations, roll a CA over, revoke a generation (a compromise drill).
    Ca {
        /// What to do.
        #[command(subcommand)]
        action: CaAction,
    },
    /// Tenants: isolated mocks (CAs, cards, clock, faults) in the same state, served by
    /// `serve` under /t/NAME; other commands act on one with --tenant NAME.
    Tenant {
        /// What to do.
        #[command(subcommand)]
        action: TenantAction,
    },
}

/// `phone` subcommands.
#[derive(Debug, Subcommand)]
pub enum PhoneAction {
    /// Issue a phone's signing and auth certificates for the card's holder (a set already
    /// on the platform is revoked: device_change); prints them as JSON.
    Issue {
        /// The card.
        #[arg(long)]
        card: i64,
        /// The platform.
        #[arg(long, value_parser = one_of(Platform::ALL.map(Platform::as_str)))]
        platform: String,
        /// The device's id (default: made up).
        #[arg(long)]
        device_id: Option<String>,
    },
    /// Suspend a lost phone (一時利用停止): both its certificates on hold (phone_lost).
    Suspend {
        /// The card.
        #[arg(long)]
        card: i64,
        /// The platform.
        #[arg(long, value_parser = one_of(Platform::ALL.map(Platform::as_str)))]
        platform: String,
    },
    /// Resume a found phone: the auth hold is lifted, the signing certificate re-issued.
    Resume {
        /// The card.
        #[arg(long)]
        card: i64,
        /// The platform.
        #[arg(long, value_parser = one_of(Platform::ALL.map(Platform::as_str)))]
        platform: String,
    },
}

/// `tenant` subcommands.
#[derive(Debug, Subcommand)]
pub enum TenantAction {
    /// Create a tenant: its CAs, and a token for its admin API (JSON: tenant, base_url,
    /// admin_token).
    Create {
        /// Its name: 1 to 63 of a-z, 0-9 and - (default: a random one).
        #[arg(long)]
        name: Option<String>,
        /// Delete it this many seconds (real time) after its creation.
        #[arg(long, value_name = "SECONDS")]
        ttl_seconds: Option<u64>,
        /// A profile preset for it (default: the state's profile).
        #[arg(long)]
        preset: Option<String>,
    },
    /// List the tenants (JSON).
    List,
    /// Delete a tenant and all its state.
    Delete {
        /// The tenant.
        name: String,
    },
}

/// `clock` subcommands.
#[derive(Debug, Subcommand)]
pub enum ClockAction {
    /// Print the clock (JSON: mode, now, offset_seconds).
    Show,
    /// Fix the clock at an instant: RFC 3339 or a date (00:00 JST).
    Set {
        /// The instant.
        #[arg(value_parser = instant_arg)]
        time: OffsetDateTime,
    },
    /// Run the clock this many seconds ahead of real time (negative: behind).
    Offset {
        /// Seconds.
        #[arg(allow_negative_numbers = true)]
        seconds: i64,
    },
    /// Back to real time.
    Reset,
}

/// `ca` subcommands.
#[derive(Debug, Subcommand)]
pub enum CaAction {
    /// Write the sign CA's certificate (DER, or PEM with --pem).
    Sign(CaCertificateArgs),
    /// Write the auth CA's certificate (DER, or PEM with --pem).
    Auth(CaCertificateArgs),
    /// List every generation of both CAs, or of one (JSON).
    List {
        /// Only this CA.
        kind: Option<Kind>,
    },
    /// A new generation: a new key and self-signed certificate with the same DN, a new
    /// OCSP responder. Issuance moves to it at --at (default: now).
    Rollover {
        /// Which CA.
        kind: Kind,
        /// When it starts issuing: RFC 3339 or a date (00:00 JST).
        #[arg(long, value_parser = instant_arg)]
        at: Option<OffsetDateTime>,
    },
    /// Revoke a generation: it appears on the ARL of every generation of its CA.
    Revoke {
        /// Which CA.
        kind: Kind,
        /// Which generation.
        #[arg(long)]
        generation: u32,
        /// RFC 5280 reason, e.g. cACompromise or keyCompromise.
        #[arg(long)]
        reason: String,
    },
}

/// Which CA certificate `ca sign|auth` writes, and where.
#[derive(Debug, Args)]
pub struct CaCertificateArgs {
    /// Which generation (default: the current one).
    #[arg(long)]
    generation: Option<u32>,
    /// Output file (default: stdout).
    #[arg(long)]
    out: Option<PathBuf>,
    /// PEM instead of DER (PEM anyway when stdout is a terminal).
    #[arg(long)]
    pem: bool,
}

impl Command {
    /// The file or directory the command writes its output to, if any.
    fn out_path(&self) -> Option<&Path> {
        match self {
            Command::Issue(args) => args.out.as_deref(),
            Command::Export { out } => Some(out),
            Command::Crl { out, .. } | Command::Arl { out, .. } => out.as_deref(),
            Command::Ca {
                action: CaAction::Sign(args) | CaAction::Auth(args),
            } => args.out.as_deref(),
            _ => None,
        }
    }
}

/// `show` targets.
#[derive(Debug, Subcommand)]
pub enum Show {
    /// A card and its certificates.
    Card {
        /// Card id.
        id: i64,
    },
    /// One certificate.
    Cert {
        /// Serial, decimal or 0x-prefixed hex.
        serial: String,
        /// Print the certificate itself, PEM, instead of its facts.
        #[arg(long)]
        pem: bool,
    },
}

/// `issue` options; the same fields as the admin API's `POST /cards`.
#[derive(Debug, Args)]
pub struct IssueArgs {
    /// Surname and given name separated by a space (either width).
    #[arg(long)]
    pub name: String,
    /// Date of birth, YYYY-MM-DD.
    #[arg(long)]
    pub birth: String,
    /// Sex.
    #[arg(long, ignore_case = true, value_parser = one_of(Gender::ALL.map(Gender::as_str)))]
    pub gender: String,
    /// Address in Japanese, from the prefecture on.
    #[arg(long)]
    pub address: String,
    /// The locality instead of the address's: PREF/MUNI in romaji (Tokyo-to/Shinagawa-ku),
    /// a 6-digit local government code (131091) or a Japanese name (東京都品川区).
    #[arg(long)]
    pub locality: Option<String>,
    /// The card's issue date (default: today, JST).
    #[arg(long)]
    pub issued_on: Option<String>,
    /// The card's expiry date (default: computed from the birthday).
    #[arg(long)]
    pub card_expiry: Option<String>,
    /// Signing PIN: 6-16 of A-Z and 0-9, with a letter and a digit.
    #[arg(long, env = "JPKI_MOCK_SIGN_PIN", hide_env_values = true)]
    pub sign_pin: Option<String>,
    /// Auth PIN: 4 digits.
    #[arg(long, env = "JPKI_MOCK_AUTH_PIN", hide_env_values = true)]
    pub auth_pin: Option<String>,
    /// Issue only this certificate.
    #[arg(long)]
    pub only: Option<Kind>,
    /// Issue a signing certificate even to a holder under 15.
    #[arg(long)]
    pub force_sign: bool,
    /// The holder consents to platform operators receiving their latest basic four
    /// facts (GET /api/v1/certs/{serial}/latest-facts).
    #[arg(long)]
    pub latest_facts_consent: bool,
    /// Key algorithm (default from config).
    #[arg(long, value_parser = one_of(KeyAlg::ALL.map(KeyAlg::as_str)))]
    pub key_alg: Option<String>,
    /// Also write sign.pem, sign.key, auth.pem, auth.key, chain-*.pem into DIR.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

impl IssueArgs {
    fn request(&self) -> IssueRequest {
        IssueRequest {
            name: self.name.clone(),
            birth: self.birth.clone(),
            gender: self.gender.clone(),
            address: self.address.clone(),
            locality: self.locality.clone(),
            issued_on: self.issued_on.clone(),
            card_expiry: self.card_expiry.clone(),
            sign_pin: self.sign_pin.clone(),
            auth_pin: self.auth_pin.clone(),
            only: self.only.map(|k| CertKind::from(k).as_str().to_string()),
            force_sign: self.force_sign,
            key_alg: self.key_alg.clone(),
            latest_facts_consent: self.latest_facts_consent,
        }
    }
}

/// Runs the CLI and returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::from_command_line();
    let json = cli.json;
    match run(cli) {
        Ok(()) if populate::INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst) => {
            ExitCode::from(populate::INTERRUPTED_EXIT)
        }
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if json {
                eprintln!(
                    "{}",
                    serde_json::json!({"error": error.code(), "message": error.to_string()})
                );
            } else {
                eprintln!("jpki-mock: error: {error}");
            }
            // 1 for every refused or failed command; clap exits 2 on usage errors.
            ExitCode::from(1)
        }
    }
}

fn load_config(path: Option<&Path>) -> Result<Config> {
    match path {
        Some(path) => Config::load(path),
        None => Ok(Config::default()),
    }
}

fn print_json(value: &impl serde::Serialize) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::Internal(format!("JSON encoding: {e}")))?;
    text.push('\n');
    write_output(None, text.as_bytes())
}

/// A table when stdout is a terminal (and `--json` is not given), JSON otherwise.
fn print_view<T: serde::Serialize>(
    cli: &Cli,
    value: &T,
    table: impl FnOnce(&T) -> String,
) -> Result<()> {
    if cli.json || !std::io::stdout().is_terminal() {
        print_json(value)
    } else {
        write_output(None, table(value).as_bytes())
    }
}

fn open_authority(cli: &Cli, config: Config) -> Result<Authority> {
    let options = Options {
        now: cli.now,
        key_seed: cli.seed.clone(),
    };
    let authority = match &cli.tenant {
        None => Authority::open(cli.store().open()?, config, options)?,
        Some(name) => {
            let name: TenantName = name.parse()?;
            let home = TenantHome::of(cli.store())?;
            let unknown = || {
                Error::NotFound(format!(
                    "no tenant named {name} in {} (`jpki-mock tenant list` shows them)",
                    cli.store()
                ))
            };
            match home.record(&name)? {
                Some(record) if !record.expired_at(tenants::real_now()) => {}
                Some(_) => {
                    home.remove(&name)?;
                    return Err(unknown());
                }
                None => return Err(unknown()),
            }
            let store = home.open_store(&name)?.ok_or_else(unknown)?;
            Authority::open(store, config, tenants::tenant_options(&options, &name))?
        }
    };
    if !matches!(cli.command, Command::Clock { .. }) {
        notice_virtual_clock(&authority);
    }
    Ok(authority)
}

/// `tenant create|list|delete`, on the state directory.
fn tenant(cli: &Cli, config: Config, options: Options, action: &TenantAction) -> Result<()> {
    let home = TenantHome::of(cli.store())?;
    match action {
        TenantAction::Create {
            name,
            ttl_seconds,
            preset,
        } => {
            // A tenant's URLs live under the default tenant's base URL: set it up first,
            // as `serve` would.
            let mut store = cli.store().create()?;
            let derived = format!("http://{}", config.server.listen);
            Authority::init(store.as_mut(), &config, &options, None, Some(&derived))?;
            let server = Authority::open(store, config, options.clone())?;
            let request = TenantRequest {
                name: name.clone(),
                ttl_seconds: *ttl_seconds,
                preset: preset.clone(),
            };
            let (record, _) = tenants::create_tenant(
                &home,
                server.config(),
                &options,
                &request,
                &server.base_url()?,
            )?;
            print_json(&tenants::CreatedTenant::from(&record))
        }
        TenantAction::List => {
            let tenants = home
                .live_records(tenants::real_now())?
                .iter()
                .map(TenantView::from)
                .collect();
            print_json(&TenantList { tenants })
        }
        TenantAction::Delete { name } => {
            let name: TenantName = name.parse()?;
            if !home.remove(&name)? {
                return Err(Error::NotFound(format!("no tenant named {name}")));
            }
            eprintln!("deleted tenant {name}");
            Ok(())
        }
    }
}

/// One line on stderr when the state's virtual clock is not the real time, so that a
/// command never acts at another time silently (`--now` prints none: it was asked for).
fn notice_virtual_clock(authority: &Authority) {
    let view = authority.clock_view();
    if view.overridden_by_now_option || view.mode == ClockMode::System {
        return;
    }
    eprintln!(
        "jpki-mock: the state's virtual clock says {} ({}); `jpki-mock clock reset` goes \
         back to real time",
        view.now,
        match view.offset_seconds {
            Some(seconds) => format!("{seconds:+} s from real time"),
            None => "fixed".to_string(),
        }
    );
}

fn run(cli: Cli) -> Result<()> {
    let config = load_config(cli.config.as_deref())?;
    let options = Options {
        now: cli.now,
        key_seed: cli.seed.clone(),
    };
    if let (Some(out), Some(state)) = (cli.command.out_path(), cli.store().state_dir()) {
        refuse_out_inside_state(out, state)?;
    }
    match &cli.command {
        Command::Init { base_url, preset } => {
            let mut config = config;
            if let Some(name) = preset {
                config
                    .apply_preset(name)
                    .map_err(|e| Error::BadInput(format!("--preset: {e}")))?;
            }
            let mut store = cli.store().create()?;
            let mut report =
                Authority::init(store.as_mut(), &config, &options, base_url.as_deref(), None)?;
            if let Some(url) = base_url {
                let mut authority = Authority::open(store, config, options)?;
                report.base_url = authority.set_base_url(url)?;
            }
            if cli.json {
                print_json(&report)?;
            } else {
                for kind in &report.created {
                    println!("created the {kind} CA and its OCSP responder");
                }
                for kind in &report.kept {
                    println!("kept the existing {kind} CA (init is idempotent)");
                }
                match cli.store().state_dir() {
                    Some(dir) => println!("state: {}", dir.display()),
                    None => println!("store: {}", cli.store()),
                }
                println!("base URL: {}", report.base_url);
                let profile = &report.profile;
                match &profile.preset {
                    Some(preset) => println!("profile: O={} (preset {preset})", profile.org),
                    None => println!("profile: O={}", profile.org),
                }
                if let Some(alg) = &profile.key_alg {
                    println!("keys: {alg} (CAs, OCSP responders, default for cards)");
                }
                let validity = &profile.validity;
                if let Some(n) = validity.cert_birthdays {
                    println!("certificates: to the {n}th birthday after issuance");
                }
                if let Some(n) = validity.renewal_window_months {
                    println!("renewal: from {n} months before expiry");
                }
            }
            Ok(())
        }
        Command::Serve {
            listen,
            base_url,
            admin_token,
            ephemeral,
        } => {
            let listen = listen.unwrap_or(config.server.listen);
            let admin_token = admin_token
                .clone()
                .or_else(|| config.server.admin_token.clone())
                .filter(|t| !t.is_empty());
            if !listen.ip().is_loopback() && admin_token.is_none() {
                return Err(Error::Refused(format!(
                    "refusing to serve the admin API on non-loopback {listen} without a token: set --admin-token (env JPKI_MOCK_ADMIN_TOKEN) or server.admin_token"
                )));
            }
            if admin_token.as_deref() == Some(PUBLISHED_TEST_TOKEN) {
                eprintln!(
                    "jpki-mock: WARNING: the admin token is the published test value \
                     {PUBLISHED_TEST_TOKEN:?} (the container image's default): anyone who can \
                     reach this port can issue and revoke. Set JPKI_MOCK_ADMIN_TOKEN to a secret \
                     of your own."
                );
            }
            // Bound first, so that the base URL derived from it names the real port
            // (`--listen 127.0.0.1:0` picks a free one).
            let listener = std::net::TcpListener::bind(listen)
                .and_then(|l| l.set_nonblocking(true).map(|()| l))
                .map_err(|e| Error::io(format!("cannot listen on {listen}"), e))?;
            let local = listener
                .local_addr()
                .map_err(|e| Error::io("cannot read the listen address", e))?;
            let location = (!*ephemeral).then(|| cli.store());
            let mut store: Box<dyn Store> = match location {
                None => Box::new(MemoryStore::new()),
                Some(StoreLocation::Sqlite(dir)) => {
                    let store = SqliteStore::create(dir)?;
                    for warning in store.permission_warnings() {
                        eprintln!("jpki-mock: warning: {warning}");
                    }
                    Box::new(store)
                }
                Some(location) => location.create()?,
            };
            let derived = format!("http://{local}");
            let report = Authority::init(
                store.as_mut(),
                &config,
                &options,
                base_url.as_deref(),
                Some(&derived),
            )?;
            for kind in &report.created {
                eprintln!("initialised: created the {kind} CA and its OCSP responder");
            }
            let header_read_timeout = config.server.header_read_timeout;
            let tenant_options = options.clone();
            let mut authority = Authority::open(store, config, options)?;
            notice_virtual_clock(&authority);
            let base_url = match base_url {
                Some(url) => authority.set_base_url(url)?,
                None => authority.base_url()?,
            };
            // One line per request on stderr, written by a background thread so that
            // logging never blocks a request (JPKI_MOCK_LOG=warn quiets it).
            let (log_writer, _log_guard) = log::queued_stderr();
            let filter = tracing_subscriber::EnvFilter::try_from_env("JPKI_MOCK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(log_writer)
                .with_ansi(false)
                .try_init();
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| Error::io("cannot start the async runtime", e))?;
            runtime.block_on(async {
                let listener = tokio::net::TcpListener::from_std(listener)
                    .map_err(|e| Error::io(format!("cannot listen on {listen}"), e))?;
                let token_required = admin_token.is_some();
                let ready = http::Ready {
                    listen: local,
                    base_url: &base_url,
                    store: location,
                    admin_token_required: token_required,
                };
                println!("{}{}", ready.banner(), ready.line());
                std::io::stdout().flush().ok();
                let home = match location {
                    Some(location) => TenantHome::of(location)?,
                    None => TenantHome::in_memory(),
                };
                let tenants = tenants::Tenants::new(
                    home,
                    authority.config().clone(),
                    tenant_options,
                    admin_token.clone(),
                );
                http::serve(
                    listener,
                    http::Lane::new(http::AppState::with_tenants(
                        authority,
                        admin_token,
                        tenants,
                    )),
                    header_read_timeout,
                    http::shutdown_signal(),
                )
                .await
            })
        }
        Command::Healthcheck { url } => healthcheck(url),
        Command::Tenant { action } => tenant(&cli, config, options, action),
        Command::Completions { shell } => {
            let mut command = Cli::command();
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut command, "jpki-mock", &mut script);
            write_output(None, &script)
        }
        Command::Manpage => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .map_err(|e| Error::io("cannot render the manual page", e))?;
            write_output(None, &page)
        }
        // Through a JSON value, whose keys are sorted: a stable order for docs/openapi.json.
        Command::Openapi => print_json(
            &serde_json::to_value(http::admin::openapi())
                .map_err(|e| Error::Internal(format!("JSON encoding: {e}")))?,
        ),
        Command::Issue(args) => {
            let mut authority = open_authority(&cli, config)?;
            if let Some(dir) = &args.out {
                prepare_out_dir(dir)?;
            }
            let issued = authority.issue(&CardRequest::try_from(&args.request())?)?;
            if let Some(dir) = &args.out {
                write_issued_files(dir, &issued)?;
            }
            print_json(&issued)
        }
        Command::Populate(args) => {
            // Bad arguments are refused before the state is opened.
            args.plan()?;
            let mut authority = open_authority(&cli, config)?;
            populate::run(&mut authority, cli.store().state_dir(), args, cli.json)
        }
        Command::Revoke {
            card,
            cause,
            certs,
            at,
            platform,
        } => {
            let request = RevokeRequest::try_from(&RawRevokeRequest {
                cause: cause.clone(),
                certs: certs.clone(),
                at: at.clone(),
                platform: platform.clone(),
            })?;
            let mut authority = open_authority(&cli, config)?;
            let report = authority.revoke(CardId(*card), &request)?;
            print_json(&report)
        }
        Command::IssueSign {
            card,
            name,
            address,
            locality,
            sign_pin,
        } => {
            let request = SignRequest::try_from(&RawSignRequest {
                name: name.clone(),
                address: address.clone(),
                locality: locality.clone(),
                sign_pin: sign_pin.clone(),
            })?;
            let mut authority = open_authority(&cli, config)?;
            print_json(&authority.issue_signing_certificate(CardId(*card), &request)?)
        }
        Command::Phone { action } => {
            let platform_of = |text: &str| -> Result<Platform> {
                text.parse()
                    .map_err(|e| Error::BadInput(format!("--platform: {e}")))
            };
            let mut authority = open_authority(&cli, config)?;
            match action {
                PhoneAction::Issue {
                    card,
                    platform,
                    device_id,
                } => {
                    let request = PhoneRequest::try_from(&RawPhoneRequest {
                        platform: platform.clone(),
                        device_id: device_id.clone(),
                    })?;
                    print_json(&authority.issue_phone(CardId(*card), &request)?)
                }
                PhoneAction::Suspend { card, platform } => {
                    print_json(&authority.suspend_phone(CardId(*card), platform_of(platform)?)?)
                }
                PhoneAction::Resume { card, platform } => {
                    print_json(&authority.resume_phone(CardId(*card), platform_of(platform)?)?)
                }
            }
        }
        Command::Renew { card, certs } => {
            let kinds = cert_kinds(certs.as_deref())?;
            let mut authority = open_authority(&cli, config)?;
            print_json(&authority.renew(CardId(*card), kinds.as_deref())?)
        }
        Command::Reissue { card } => {
            let mut authority = open_authority(&cli, config)?;
            print_json(&authority.reissue(CardId(*card))?)
        }
        Command::Show { what } => {
            let authority = open_authority(&cli, config)?;
            match what {
                Show::Card { id } => {
                    print_view(&cli, &authority.card_view(CardId(*id))?, table::card)
                }
                Show::Cert { serial, pem } => {
                    let serial: Serial = serial.parse().map_err(Error::BadInput)?;
                    let view = authority.certificate_view(serial)?;
                    if *pem {
                        write_output(None, view.cert_pem.as_bytes())
                    } else {
                        print_view(&cli, &view, table::certificate)
                    }
                }
            }
        }
        Command::List => {
            let authority = open_authority(&cli, config)?;
            print_view(&cli, &authority.card_views()?, |cards| table::cards(cards))
        }
        Command::Export { out } => {
            if out.exists()
                && std::fs::read_dir(out)
                    .map_err(|e| Error::io(format!("cannot read {}", out.display()), e))?
                    .next()
                    .is_some()
            {
                return Err(Error::BadInput(format!(
                    "--out {} is not empty; export writes into an empty or new directory",
                    out.display()
                )));
            }
            let mut authority = open_authority(&cli, config)?;
            let files = export(&mut authority)?;
            for file in &files {
                let path = out.join(&file.path);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| Error::io(format!("cannot create {}", parent.display()), e))?;
                }
                write_file(&path, &file.bytes, file.path.ends_with(".key"))?;
            }
            println!("exported {} files to {}", files.len(), out.display());
            Ok(())
        }
        Command::Notices { on } => {
            let on = clock::parse_date(on)?;
            let authority = open_authority(&cli, config)?;
            print_json(&authority.notices(on)?)
        }
        Command::Crl {
            kind,
            generation,
            partition,
            out,
            pem,
        } => {
            let mut authority = open_authority(&cli, config)?;
            let kind = CertKind::from(*kind);
            let partition = partition
                .as_deref()
                .map(|text| {
                    Locality::parse_override(
                        text,
                        authority.config().locality.designated_city_wards,
                    )
                    .map_err(|e| Error::BadInput(format!("--partition: {e}")))
                })
                .transpose()?;
            let scope = CrlScope {
                kind,
                generation: generation.unwrap_or_else(|| authority.ca(kind).number),
                partition,
            };
            let der = authority.crl(&scope)?.der;
            write_der(out.as_deref(), der, "X509 CRL", *pem)
        }
        Command::Arl {
            kind,
            generation,
            out,
            pem,
        } => {
            let mut authority = open_authority(&cli, config)?;
            let kind = CertKind::from(*kind);
            let generation = generation.unwrap_or_else(|| authority.ca(kind).number);
            let der = authority.arl(kind, generation)?.der;
            write_der(out.as_deref(), der, "X509 CRL", *pem)
        }
        Command::Ca { action } => ca_command(&cli, config, action),
        Command::Clock { action } => {
            let mut authority = open_authority(&cli, config)?;
            let view = match action {
                ClockAction::Show => authority.clock_view(),
                ClockAction::Set { time } => authority.set_clock(Clock::Fixed { now: *time })?,
                ClockAction::Offset { seconds } => authority.set_clock(Clock::Offset {
                    offset_seconds: *seconds,
                })?,
                ClockAction::Reset => authority.set_clock(Clock::System)?,
            };
            print_json(&view)
        }
    }
}

fn ca_command(cli: &Cli, config: Config, action: &CaAction) -> Result<()> {
    let mut authority = open_authority(cli, config)?;
    match action {
        CaAction::Sign(args) | CaAction::Auth(args) => {
            let kind = match action {
                CaAction::Sign(_) => CertKind::Sign,
                _ => CertKind::Auth,
            };
            let ca = match args.generation {
                Some(n) => authority.generation(kind, n)?,
                None => authority.ca(kind),
            };
            let der = ca.ca.certificate_der().to_vec();
            write_der(args.out.as_deref(), der, "CERTIFICATE", args.pem)
        }
        CaAction::List { kind } => print_json(&authority.ca_list(kind.map(CertKind::from))),
        CaAction::Rollover { kind, at } => print_json(&authority.rollover((*kind).into(), *at)?),
        CaAction::Revoke {
            kind,
            generation,
            reason,
        } => {
            let reason: CrlReason = reason
                .parse()
                .map_err(|e| Error::BadInput(format!("--reason: {e}")))?;
            print_json(&authority.revoke_ca((*kind).into(), *generation, reason)?)
        }
    }
}
