//! `populate`: the command around [`Authority::populate`]: the free-space check, the
//! progress bar (or plain lines when stderr is not a terminal), Ctrl-C between batches,
//! and the summary.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use serde::Serialize;

use super::{one_of, print_json};
use crate::authority::{Authority, PopulatePlan, PopulateProgress};
use crate::error::{Error, Result};
use crate::rules::{Cause, KeyAlg};

/// Exit code of a run stopped by Ctrl-C (what was done is committed): 128 + SIGINT.
pub const INTERRUPTED_EXIT: u8 = 130;

/// Set when a run was stopped by Ctrl-C, for the exit code.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Estimated bytes on disk per card (two certificates of about 1.5 KB each, signed by
/// the RSA-2048 CAs, the card, the index entries; the keys are shared), about 10% above
/// what 20,000-card runs measured (4.9 KB with RSA-2048 keys, 4.6 KB with P-256).
fn bytes_per_card(alg: KeyAlg) -> u64 {
    match alg {
        KeyAlg::Rsa2048 => 5_500,
        KeyAlg::P256 => 5_000,
        // Not measured: a P-384 key and signature are a little larger than P-256's.
        KeyAlg::P384 => 5_200,
    }
}

/// Room the WAL file and SQLite's temporary files need besides the cards.
const HEADROOM_BYTES: u64 = 64 << 20;

/// `populate` options.
#[derive(Debug, Args)]
pub struct PopulateArgs {
    /// How many cards to issue.
    #[arg(long)]
    pub cards: u64,
    /// The fraction of them to revoke, in [0, 1].
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true)]
    pub revoked: f64,
    /// The causes to apply, each as likely (default: a realistic mix of every user
    /// cause, address changes and card returns first).
    #[arg(long, value_delimiter = ',', value_parser = one_of(Cause::USER_CAUSES.map(Cause::as_str)))]
    pub causes: Option<Vec<String>>,
    /// How many end-entity keys the certificates share (a test shortcut: many cards
    /// carry the same public key).
    #[arg(long, default_value_t = 64)]
    pub key_pool: usize,
    /// Key algorithm (default from config).
    #[arg(long, value_parser = one_of(KeyAlg::ALL.map(KeyAlg::as_str)))]
    pub key_alg: Option<String>,
    /// Cards per database transaction.
    #[arg(long, default_value_t = 1000)]
    pub batch: usize,
}

impl PopulateArgs {
    pub(super) fn plan(&self) -> Result<PopulatePlan> {
        let causes = self
            .causes
            .iter()
            .flatten()
            .map(|c| {
                c.parse::<Cause>()
                    .map_err(|e| Error::BadInput(format!("--causes: {e}")))
            })
            .collect::<Result<Vec<_>>>()?;
        let key_alg = self
            .key_alg
            .as_deref()
            .map(|a| {
                a.parse()
                    .map_err(|e| Error::BadInput(format!("--key-alg: {e}")))
            })
            .transpose()?;
        let plan = PopulatePlan {
            cards: self.cards,
            revoked_fraction: self.revoked,
            causes,
            key_pool: self.key_pool,
            key_alg,
            batch: self.batch,
        };
        plan.check()?;
        Ok(plan)
    }
}

/// The summary (`--json`: this object).
#[derive(Debug, Serialize)]
struct Summary {
    /// Cards issued by this run.
    cards: u64,
    /// Certificates issued.
    certificates: u64,
    /// Certificates revoked.
    revoked: u64,
    /// Cards a cause was applied to.
    revoked_cards: u64,
    /// Cards of holders under 15 (no signing certificate).
    minors: u64,
    /// Keys the certificates share.
    key_pool: usize,
    /// Their algorithm.
    key_alg: KeyAlg,
    /// Wall time, the key pool included.
    seconds: f64,
    /// Cards per second.
    cards_per_second: f64,
    /// The state directory's files, in bytes, at the end (null on PostgreSQL: not
    /// measured).
    state_bytes: Option<u64>,
    /// What the state grew by, per card of this run (null on PostgreSQL).
    bytes_per_card: Option<u64>,
    /// Whether Ctrl-C stopped the run (exit code 130).
    interrupted: bool,
}

/// Runs `populate` on an open authority whose state is in `state` (a directory; `None`:
/// a database, whose disk `populate` neither checks nor measures).
pub(super) fn run(
    authority: &mut Authority,
    state: Option<&Path>,
    args: &PopulateArgs,
    json: bool,
) -> Result<()> {
    let plan = args.plan()?;
    let alg = plan.key_alg.unwrap_or(authority.config().profile.key_alg);
    let before = state.map(state_bytes).transpose()?;
    if let Some(state) = state {
        check_free_space(state, plan.cards, alg)?;
    }
    let stop = Arc::new(AtomicBool::new(false));
    stop_on_ctrl_c(stop.clone())?;
    let started = Instant::now();
    let mut meter = Meter::new(plan.cards, started);
    let result = authority.populate(&plan, &stop, &mut |p| meter.show(p));
    meter.finish();
    let done = result.inspect_err(|_| {
        if meter.cards > 0 {
            eprintln!(
                "jpki-mock: populate stopped by an error; the {} cards before it are committed",
                meter.cards
            );
        }
    })?;
    let seconds = started.elapsed().as_secs_f64();
    let interrupted = done.cards < plan.cards;
    let after = state.map(state_bytes).transpose()?;
    let summary = Summary {
        cards: done.cards,
        certificates: done.certificates,
        revoked: done.revoked,
        revoked_cards: done.revoked_cards,
        minors: done.minors,
        key_pool: plan.key_pool,
        key_alg: alg,
        seconds: (seconds * 1000.0).round() / 1000.0,
        cards_per_second: (done.cards as f64 / seconds).round(),
        state_bytes: after,
        bytes_per_card: after
            .zip(before)
            .map(|(after, before)| after.saturating_sub(before) / done.cards.max(1)),
        interrupted,
    };
    if interrupted {
        INTERRUPTED.store(true, Ordering::SeqCst);
        eprintln!(
            "jpki-mock: interrupted: {} of {} cards done and committed",
            done.cards, plan.cards
        );
    }
    if json {
        return print_json(&summary);
    }
    println!(
        "populated {} cards ({} certificates; {} holders under 15 without a signing \
         certificate), {} cards revoked ({} certificates), keys from a pool of {} {}",
        summary.cards,
        summary.certificates,
        summary.minors,
        summary.revoked_cards,
        summary.revoked,
        summary.key_pool,
        summary.key_alg
    );
    match summary.state_bytes.zip(summary.bytes_per_card) {
        Some((bytes, per_card)) => println!(
            "{:.1} s, {} cards/s; state {bytes} bytes ({per_card} bytes a card)",
            summary.seconds, summary.cards_per_second
        ),
        None => println!(
            "{:.1} s, {} cards/s",
            summary.seconds, summary.cards_per_second
        ),
    }
    Ok(())
}

/// Refuses a run the disk of the state directory cannot hold.
fn check_free_space(state: &Path, cards: u64, alg: KeyAlg) -> Result<()> {
    let need = cards * bytes_per_card(alg) + HEADROOM_BYTES;
    let free = free_bytes(state)?;
    if need > free {
        return Err(Error::Refused(format!(
            "{} cards need about {} MB on disk ({} bytes a card, plus {} MB for the \
             database's journal); {} has {} MB free",
            cards,
            need / 1_000_000,
            bytes_per_card(alg),
            HEADROOM_BYTES / 1_000_000,
            state.display(),
            free / 1_000_000
        )));
    }
    Ok(())
}

/// The first Ctrl-C sets `stop` (the run ends after the batch in hand, committed); a
/// second one exits at once (the batch in hand is undone: it was not committed).
fn stop_on_ctrl_c(stop: Arc<AtomicBool>) -> Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the signal handler", e))?;
    // Registered here, before any work: from now on Ctrl-C only sets the flag.
    let mut interrupt = runtime
        .block_on(async { signal(SignalKind::interrupt()) })
        .map_err(|e| Error::io("cannot handle Ctrl-C", e))?;
    std::thread::spawn(move || {
        runtime.block_on(async move {
            interrupt.recv().await;
            stop.store(true, Ordering::SeqCst);
            eprintln!(
                "\njpki-mock: Ctrl-C: stopping after the batch in hand (Ctrl-C again quits at \
                 once, undoing that batch)"
            );
            interrupt.recv().await;
            std::process::exit(i32::from(INTERRUPTED_EXIT));
        })
    });
    Ok(())
}

/// Progress on stderr: a bar with rate and ETA on a terminal, else a plain line every
/// 5 s or 10%.
struct Meter {
    bar: Option<indicatif::ProgressBar>,
    total: u64,
    started: Instant,
    last_line: Instant,
    last_tenth: u64,
    /// Cards committed so far.
    cards: u64,
}

impl Meter {
    fn new(total: u64, started: Instant) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} cards  {per_sec:.0}  ETA {eta}  {msg}",
                )
                .expect("a valid template"),
            );
            bar.set_message("generating the key pool");
            bar.enable_steady_tick(Duration::from_millis(500));
            bar
        });
        Self {
            bar,
            total,
            started,
            last_line: started,
            last_tenth: 0,
            cards: 0,
        }
    }

    fn show(&mut self, progress: &PopulateProgress) {
        self.cards = progress.cards;
        if let Some(bar) = &self.bar {
            bar.set_position(progress.cards);
            bar.set_message(format!("{} revoked", progress.revoked));
            return;
        }
        let tenth = progress.cards * 10 / self.total;
        let now = Instant::now();
        if tenth == self.last_tenth && now - self.last_line < Duration::from_secs(5) {
            return;
        }
        self.last_tenth = tenth;
        self.last_line = now;
        let seconds = (now - self.started).as_secs_f64();
        let rate = progress.cards as f64 / seconds.max(1e-9);
        let eta = (self.total - progress.cards) as f64 / rate.max(1e-9);
        eprintln!(
            "jpki-mock: populate: {}/{} cards ({}%), {} revoked, {:.0} cards/s, ETA {:.0} s",
            progress.cards,
            self.total,
            progress.cards * 100 / self.total,
            progress.revoked,
            rate,
            eta
        );
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// The bytes of the state directory's files (database, WAL, keys).
fn state_bytes(state: &Path) -> Result<u64> {
    let entries = std::fs::read_dir(state)
        .map_err(|e| Error::io(format!("cannot read {}", state.display()), e))?;
    Ok(entries
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum())
}

/// The bytes an unprivileged user may still write on the file system of `path`.
fn free_bytes(path: &Path) -> Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let name = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| Error::BadInput(format!("{} holds a NUL byte", path.display())))?;
    // SAFETY: `name` is a NUL-terminated path and `stats` a zeroed statvfs that the
    // call fills in; both outlive it.
    let mut stats: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(name.as_ptr(), &mut stats) } != 0 {
        return Err(Error::io(
            format!("cannot read the free space of {}", path.display()),
            std::io::Error::last_os_error(),
        ));
    }
    Ok(stats.f_bavail as u64 * stats.f_frsize as u64)
}
