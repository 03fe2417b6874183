//! Reading a newline-delimited JSON file on several threads, in order: one thread
//! cuts the file into blocks of whole lines, [`parsers`] threads parse the blocks in
//! turn, and the reader takes the parsed pieces back in the file's order. A few
//! pieces wait at most, so a file of any size is never held whole.

use std::io::Read as _;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::Scope;

use anyhow::{Context as _, Result};
use sluice_engine::input::OnBadRecord;

/// Bytes read at a time: a block is this much, cut back to its last whole line
/// (about 4,000 records of the reference scenario).
const BLOCK_BYTES: usize = 128 * 1024;

/// The longest line read (a BigQuery row in a JSON load is at most 100 MB; a
/// Pub/Sub message, 10 MB): a longer one stops the reading rather than grow
/// without end.
const MAX_LINE_BYTES: usize = 128 << 20;

/// Parsed pieces that may wait, per parser, while the reader is busy.
const WAITING: usize = 4;

/// How many threads parse: one a core, at least one, at most four.
pub fn parsers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4))
}

/// One block's good records, with what its bad records said.
pub struct Piece<T> {
    /// The good records, as `add` collected them.
    pub rows: T,
    /// Each bad record met, `file:line: why` (`file:line: skipped: why` when
    /// skipped), a line each.
    pub stderr: String,
    /// A bad record stopped the reading here (`--on-bad-record fail`); nothing after
    /// it was read.
    pub stopped: bool,
}

/// A block of whole lines and the number (1-based) of its first line.
struct Block {
    first_line: usize,
    bytes: Vec<u8>,
}

/// The pieces of a file being read, in the file's order; `Err` when reading it
/// failed (reported once, in place of the piece it stopped).
pub struct Pieces<T> {
    outs: Vec<Receiver<Result<Piece<T>>>>,
    next: usize,
}

impl<T> Iterator for Pieces<T> {
    type Item = Result<Piece<T>>;

    fn next(&mut self) -> Option<Self::Item> {
        let out = self.outs.get(self.next % self.outs.len().max(1))?;
        self.next += 1;
        // A parser hangs up when the blocks run out: the first piece missing in turn
        // is the end of the file.
        out.recv().ok()
    }
}

/// Starts reading `file` (shown as `path`) in `scope`: each record's line goes to
/// `add` with the piece's rows so far (from `empty`); a record `add` refuses is
/// skipped or stops the reading, as `on_bad` says. Lines that are blank, or end in
/// `\r`, are read as `BufRead::lines` would; a line that is not UTF-8 is a bad
/// record.
pub fn read<'scope, T, E, A>(
    scope: &'scope Scope<'scope, '_>,
    path: &'scope Path,
    file: std::fs::File,
    on_bad: OnBadRecord,
    empty: E,
    add: A,
) -> Pieces<T>
where
    T: Send + 'scope,
    E: Fn() -> T + Send + Sync + 'scope,
    A: Fn(&mut T, &str) -> Result<(), String> + Send + Sync + 'scope,
{
    let count = parsers();
    let (mut blocks_in, mut outs) = (Vec::new(), Vec::new());
    let parse = std::sync::Arc::new((empty, add));
    // Parsed blocks' buffers go back to be filled again: the same few buffers, in
    // the cutting thread's hands, rather than a new one a block.
    let (recycle, recycled) = sync_channel::<Vec<u8>>(2 * count + 2);
    for _ in 0..count {
        let (to_parser, blocks) = sync_channel::<Result<Block>>(1);
        let (to_reader, out) = sync_channel(WAITING);
        blocks_in.push(to_parser);
        outs.push(out);
        let parse = parse.clone();
        let recycle = recycle.clone();
        scope.spawn(move || {
            for block in blocks {
                let piece = block.map(|mut b| {
                    let piece = parse_block(path, &b, on_bad, &parse.0, &parse.1);
                    b.bytes.clear();
                    let _ = recycle.try_send(b.bytes);
                    piece
                });
                let stop = !matches!(&piece, Ok(p) if !p.stopped);
                if to_reader.send(piece).is_err() || stop {
                    return;
                }
            }
        });
    }
    drop(recycle);
    scope.spawn(move || cut(path, file, &blocks_in, &recycled, MAX_LINE_BYTES));
    Pieces { outs, next: 0 }
}

/// Reads `file` a block at a time and hands the blocks to the parsers in turn; stops
/// at the end, at an error or a line longer than `max_line` bytes (handed on in
/// turn), or when a parser hangs up. `max_line` is at least [`BLOCK_BYTES`]: a
/// shorter line fits in one block whatever its length.
fn cut(
    path: &Path,
    mut file: std::fs::File,
    parsers: &[SyncSender<Result<Block>>],
    recycled: &Receiver<Vec<u8>>,
    max_line: usize,
) {
    let mut carry: Vec<u8> = Vec::new();
    let mut line = 1usize;
    for turn in 0.. {
        let Some(parser) = parsers.get(turn % parsers.len().max(1)) else {
            return;
        };
        let mut bytes = recycled.try_recv().unwrap_or_default();
        bytes.append(&mut carry);
        let mut at_end = false;
        // The carried bytes hold no line end: only what is read next is searched.
        let mut searched = bytes.len();
        let mut last_end = None;
        // Reads until the block holds BLOCK_BYTES and ends a line, or the file ends.
        let cut_at = loop {
            if let Some(at) = memchr::memrchr(b'\n', &bytes[searched..]) {
                last_end = Some(searched + at + 1);
            }
            searched = bytes.len();
            match last_end {
                Some(end) if bytes.len() >= BLOCK_BYTES => break end,
                None if bytes.len() > max_line => {
                    let failed = Err(anyhow::anyhow!(
                        "{}: line {line} is longer than {max_line} bytes",
                        path.display(),
                    ));
                    let _ = parser.send(failed);
                    return;
                }
                _ => {}
            }
            let have = bytes.len();
            // Appends without zeroing the room first.
            match (&mut file).take(BLOCK_BYTES as u64).read_to_end(&mut bytes) {
                Ok(0) => {
                    at_end = true;
                    break have;
                }
                Ok(_) => {}
                Err(e) => {
                    let failed = Err(e).with_context(|| {
                        format!("cannot read {} after line {}", path.display(), line - 1)
                    });
                    let _ = parser.send(failed);
                    return;
                }
            }
        };
        carry.extend_from_slice(&bytes[cut_at..]);
        bytes.truncate(cut_at);
        let lines = memchr::memchr_iter(b'\n', &bytes).count();
        let block = Block {
            first_line: line,
            bytes,
        };
        line += lines;
        if (!block.bytes.is_empty() && parser.send(Ok(block)).is_err()) || at_end {
            return;
        }
    }
}

/// Parses one block's lines into a piece.
fn parse_block<T>(
    path: &Path,
    block: &Block,
    on_bad: OnBadRecord,
    empty: &impl Fn() -> T,
    add: &impl Fn(&mut T, &str) -> Result<(), String>,
) -> Piece<T> {
    let mut piece = Piece {
        rows: empty(),
        stderr: String::new(),
        stopped: false,
    };
    let bytes = &block.bytes[..];
    let mut start = 0;
    for i in 0.. {
        if start >= bytes.len() {
            break;
        }
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |at| start + at);
        let line = &bytes[start..end];
        start = end + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let record = match std::str::from_utf8(line) {
            Ok(text) if text.trim().is_empty() => continue,
            Ok(text) => add(&mut piece.rows, text),
            Err(e) => Err(format!(
                "the line is not UTF-8 (invalid byte at column {})",
                e.valid_up_to() + 1
            )),
        };
        if let Err(message) = record {
            let number = block.first_line + i;
            let skipped = if on_bad == OnBadRecord::Skip {
                "skipped: "
            } else {
                ""
            };
            piece.stderr.push_str(&format!(
                "{}:{number}: {skipped}{message}\n",
                path.display()
            ));
            if on_bad != OnBadRecord::Skip {
                piece.stopped = true;
                return piece;
            }
        }
    }
    piece
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `text` through the threads: the records (as text) and the messages.
    fn read_all(text: &[u8], on_bad: OnBadRecord) -> (Vec<String>, String, bool) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.jsonl");
        std::fs::write(&path, text).expect("write");
        let file = std::fs::File::open(&path).expect("open");
        let (mut rows, mut stderr, mut stopped) = (Vec::new(), String::new(), false);
        std::thread::scope(|scope| {
            let pieces = read(
                scope,
                &path,
                file,
                on_bad,
                Vec::new,
                |rows: &mut Vec<String>, line| {
                    if line.starts_with('!') {
                        return Err(format!("bad {line}"));
                    }
                    rows.push(line.to_string());
                    Ok(())
                },
            );
            for piece in pieces {
                let piece = piece.expect("read");
                rows.extend(piece.rows);
                stderr.push_str(&piece.stderr);
                if piece.stopped {
                    stopped = true;
                    break;
                }
            }
        });
        let shown = stderr.replace(&path.display().to_string(), "t");
        (rows, shown, stopped)
    }

    #[test]
    fn records_come_back_in_order_with_their_line_numbers() {
        // Many blocks, lines of uneven length, a CR, blank lines, no final newline.
        let mut text = Vec::new();
        let mut expected = Vec::new();
        for i in 0..200_000 {
            let line = format!("{{\"i\":{i},\"pad\":\"{}\"}}", "x".repeat(i % 97));
            text.extend_from_slice(line.as_bytes());
            text.extend_from_slice(if i % 5 == 0 { b"\r\n" } else { b"\n" });
            expected.push(line);
            if i % 1000 == 0 {
                text.extend_from_slice(b"  \n");
            }
        }
        text.extend_from_slice(b"!last");
        let (rows, stderr, stopped) = read_all(&text, OnBadRecord::Skip);
        assert!(rows == expected, "{} rows", rows.len());
        let lines = 200_000 + 200 + 1;
        assert_eq!(stderr, format!("t:{lines}: skipped: bad !last\n"));
        assert!(!stopped);
    }

    #[test]
    fn a_bad_record_stops_the_reading_where_it_is() {
        let mut text = Vec::new();
        for i in 0..100_000 {
            text.extend_from_slice(format!("{{\"i\":{i}}}\n").as_bytes());
        }
        text.extend_from_slice(b"!one\n{\"a\":\xff}\n");
        for i in 0..100_000 {
            text.extend_from_slice(format!("{{\"j\":{i}}}\n").as_bytes());
        }
        let (rows, stderr, stopped) = read_all(&text, OnBadRecord::Fail);
        assert_eq!(rows.len(), 100_000);
        assert_eq!(stderr, "t:100001: bad !one\n");
        assert!(stopped);
        let (rows, stderr, _) = read_all(&text, OnBadRecord::Skip);
        assert_eq!(rows.len(), 200_000);
        assert_eq!(
            stderr,
            "t:100001: skipped: bad !one\n\
             t:100002: skipped: the line is not UTF-8 (invalid byte at column 6)\n"
        );
    }

    #[test]
    fn a_line_past_the_limit_stops_the_cutting_with_its_number() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.jsonl");
        let mut text = b"{}\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', 300_000));
        text.extend_from_slice(b"\n{}\n");
        std::fs::write(&path, &text).expect("write");
        let file = std::fs::File::open(&path).expect("open");
        let (to_parser, blocks) = sync_channel(64);
        let (_recycle, recycled) = sync_channel(1);
        cut(&path, file, &[to_parser], &recycled, 200_000);
        let got: Vec<_> = blocks.iter().collect();
        let Some(Err(e)) = got.last() else {
            panic!("no error after {} blocks", got.len());
        };
        assert!(
            e.to_string()
                .ends_with("line 2 is longer than 200000 bytes"),
            "{e}"
        );
        // Within the limit, the same file is read whole.
        let file = std::fs::File::open(&path).expect("open");
        let (to_parser, blocks) = sync_channel(64);
        let (_recycle, recycled) = sync_channel(1);
        cut(&path, file, &[to_parser], &recycled, 1 << 20);
        let bytes: usize = blocks.iter().map(|b| b.expect("a block").bytes.len()).sum();
        assert_eq!(bytes, text.len());
    }

    #[test]
    fn an_empty_file_has_no_pieces() {
        let (rows, stderr, stopped) = read_all(b"", OnBadRecord::Fail);
        assert!(rows.is_empty() && stderr.is_empty() && !stopped);
    }
}
