//! The server's log writer. Each line is formatted on the thread that logs it and put
//! on a bounded queue; a background thread writes what has queued up every few
//! milliseconds, in one go. Logging a request never blocks it and never wakes another
//! thread (a per-line wake-up cost the OCSP hot path about a fifth of its rate). When
//! the queue is full (a terminal that cannot keep up), lines are dropped and counted.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, TrySendError};
use tracing_subscriber::fmt::MakeWriter;

/// How long a line may wait in the queue.
const FLUSH_EVERY: Duration = Duration::from_millis(20);
/// Lines the queue holds.
const QUEUE_LINES: usize = 65_536;

/// Hands each log line to the queue.
pub struct QueuedStderr {
    lines: Sender<Vec<u8>>,
    dropped: Arc<AtomicU64>,
}

/// Writes the rest of the queue when dropped (at the end of `serve`).
pub struct FlushGuard {
    stop: Arc<AtomicBool>,
    writer: Option<JoinHandle<()>>,
}

/// The writer for `tracing_subscriber`, and the guard that flushes at exit.
pub fn queued_stderr() -> (QueuedStderr, FlushGuard) {
    let (lines, queue) = crossbeam_channel::bounded(QUEUE_LINES);
    let dropped = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (dropped, stop) = (dropped.clone(), stop.clone());
        std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || write_queued(&queue, &dropped, &stop))
            .expect("a thread for the log")
    };
    (
        QueuedStderr { lines, dropped },
        FlushGuard {
            stop,
            writer: Some(writer),
        },
    )
}

fn write_queued(queue: &Receiver<Vec<u8>>, dropped: &AtomicU64, stop: &AtomicBool) {
    let mut stderr = std::io::BufWriter::with_capacity(1 << 16, std::io::stderr());
    loop {
        // Sleeping rather than blocking on the queue: a blocked reader is what makes
        // every sender pay for a wake-up.
        let last = stop.load(Ordering::Acquire);
        if !last {
            std::thread::sleep(FLUSH_EVERY);
        }
        for line in queue.try_iter() {
            let _ = stderr.write_all(&line);
        }
        let lost = dropped.swap(0, Ordering::Relaxed);
        if lost > 0 {
            let _ = writeln!(
                stderr,
                "jpki-mock: the log fell behind: {lost} lines dropped"
            );
        }
        let _ = stderr.flush();
        if last {
            return;
        }
    }
}

impl Drop for FlushGuard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// One line on its way to the queue.
pub struct QueuedLine<'a> {
    line: Vec<u8>,
    to: &'a QueuedStderr,
}

impl<'a> MakeWriter<'a> for QueuedStderr {
    type Writer = QueuedLine<'a>;

    fn make_writer(&'a self) -> QueuedLine<'a> {
        QueuedLine {
            line: Vec::new(),
            to: self,
        }
    }
}

impl Write for QueuedLine<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.line.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for QueuedLine<'_> {
    fn drop(&mut self) {
        if self.line.is_empty() {
            return;
        }
        let line = std::mem::take(&mut self.line);
        if let Err(TrySendError::Full(_)) = self.to.lines.try_send(line) {
            self.to.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_reach_the_queue_whole_and_overflow_is_counted() {
        let (lines, queue) = crossbeam_channel::bounded(1);
        let writer = QueuedStderr {
            lines,
            dropped: Arc::default(),
        };
        for text in ["first ", "line\n"] {
            let mut line = writer.make_writer();
            line.write_all(text.as_bytes()).unwrap();
            line.write_all(b"!").unwrap();
        }
        assert_eq!(queue.try_recv().unwrap(), b"first !");
        assert!(queue.try_recv().is_err());
        assert_eq!(writer.dropped.load(Ordering::Relaxed), 1);
    }
}
